using System.Globalization;
using System.Reflection;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Brummer.Gateway.Security;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.OpenApi;

namespace Brummer.Gateway.Apis;

/// <summary>
/// The OpenAPI 3.1 document of the JSON API and <c>/healthz</c>, served at <c>/openapi/v1.json</c> under the same rules
/// as the API's reads. Built from the routes' own metadata (<see cref="RouteDocs"/>): summaries, parameters as callers
/// pass them, answers, and every refusal as application/problem+json. MCP (<c>/mcp</c>) is not a JSON route and is
/// left out.
/// </summary>
internal static class OpenApiDocumentation
{
    public const string Path = "/openapi/v1.json";

    private const string BearerScheme = "bearer";

    public static IServiceCollection AddBrummerOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.ShouldInclude = description =>
                description.RelativePath is { } path && (path.StartsWith("api/", StringComparison.Ordinal) || path == "healthz");
            options.AddOperationTransformer(DescribeOperationAsync);
            options.AddSchemaTransformer(NumbersAsWritten);
            options.AddDocumentTransformer(DescribeDocument);
        });

    private static async Task DescribeOperationAsync(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        var route = $"{context.Description.HttpMethod} /{context.Description.RelativePath}";
        foreach (var doc in metadata.OfType<ParameterDoc>())
        {
            // A doc naming a parameter the handler does not take is a mistake the document must not hide.
            var parameter = operation.Parameters?.OfType<OpenApiParameter>().FirstOrDefault(p => p.Name == doc.Name)
                ?? throw new InvalidOperationException($"{route} documents a parameter '{doc.Name}' that it does not take.");
            parameter.Description = doc.Description;
            // Optional in the handler (so a missing one gets the gateway's message, not the framework's), required to the caller.
            parameter.Required |= doc.Required;
            parameter.Schema = SchemaOf(doc);
        }

        if (operation.Responses is { } responses)
        {
            var refusals = metadata.OfType<Refusal>().ToList();
            foreach (var (status, response) in responses)
            {
                var why = refusals.Where(r => r.StatusCode.ToString(CultureInfo.InvariantCulture) == status).Select(r => r.Description).Distinct().ToList();
                if (why.Count > 0 && response is OpenApiResponse described)
                {
                    described.Description = string.Join(" Or: ", why);
                }
            }

            if (metadata.OfType<AnswersOneOf>().LastOrDefault() is { } answers &&
                responses.TryGetValue("200", out var ok) && ok is OpenApiResponse { Content: { } content } &&
                content.TryGetValue("application/json", out var json))
            {
                var shapes = new List<IOpenApiSchema>();
                foreach (var type in answers.Types)
                {
                    shapes.Add(await ComponentAsync(type, context, cancellationToken));
                }

                json.Schema = new OpenApiSchema { OneOf = shapes };
            }

            // Statuses in order, so each route reads as success first, then its refusals.
            var ordered = responses.OrderBy(r => r.Key, StringComparer.Ordinal).ToList();
            responses.Clear();
            foreach (var (status, response) in ordered)
            {
                responses[status] = response;
            }
        }
    }

    private static OpenApiSchema SchemaOf(ParameterDoc doc)
    {
        var schema = doc.Kind switch
        {
            ValueKind.WholeNumber => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int32" },
            ValueKind.LongNumber => new OpenApiSchema { Type = JsonSchemaType.Integer, Format = "int64" },
            ValueKind.Flag => new OpenApiSchema { Type = JsonSchemaType.Boolean },
            ValueKind.Number => new OpenApiSchema { Type = JsonSchemaType.Number, Format = "double" },
            _ => new OpenApiSchema { Type = JsonSchemaType.String },
        };
        schema.Minimum = doc.Minimum?.ToString(CultureInfo.InvariantCulture);
        schema.Maximum = doc.Maximum?.ToString(CultureInfo.InvariantCulture);
        if (doc.Values is { } values)
        {
            schema.Enum = [.. values.Select(v => (JsonNode)JsonValue.Create(v))];
        }

        return schema;
    }

    /// <summary>
    /// A reference to <paramref name="type"/>'s schema, registered in the components if no route made it one; its
    /// properties whose types are components already are referenced rather than repeated.
    /// </summary>
    private static async Task<IOpenApiSchema> ComponentAsync(Type type, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var document = context.Document ?? throw new InvalidOperationException("The OpenAPI operation transformer ran without its document.");
        var components = document.Components?.Schemas;
        if (components?.ContainsKey(type.Name) != true)
        {
            var schema = await context.GetOrCreateSchemaAsync(type, null, cancellationToken);
            foreach (var property in type.GetProperties())
            {
                if (property.GetCustomAttribute<JsonPropertyNameAttribute>()?.Name is { } wire &&
                    schema.Properties?.ContainsKey(wire) == true &&
                    components?.ContainsKey(property.PropertyType.Name) == true)
                {
                    schema.Properties[wire] = new OpenApiSchemaReference(property.PropertyType.Name, document);
                }
            }

            document.AddComponent(type.Name, schema);
        }

        return new OpenApiSchemaReference(type.Name, document);
    }

    /// <summary>
    /// Numbers as the gateway writes them. The web JSON defaults also read numbers from strings, so the generated
    /// schemas say "integer or string"; every schema here describes an answer (no route takes a body), and answers
    /// carry numbers as numbers.
    /// </summary>
    private static Task NumbersAsWritten(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        if (schema.Type is { } type && type.HasFlag(JsonSchemaType.String) && (type.HasFlag(JsonSchemaType.Integer) || type.HasFlag(JsonSchemaType.Number)))
        {
            schema.Type = type & ~JsonSchemaType.String;
            schema.Pattern = null;
        }

        return Task.CompletedTask;
    }

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        var tokens = context.ApplicationServices.GetRequiredService<TokenStore>();
        document.Info = new OpenApiInfo
        {
            Title = "Brummer gateway JSON API",
            Version = typeof(OpenApiDocumentation).Assembly.GetName().Version?.ToString() ?? "0.0.0",
            Description =
                "The cluster's scripts, processes, logs and nodes over HTTP: the same service layer as the MCP tools at /mcp " +
                "(not described here). Query values are text on the wire and are checked by the gateway, with the same messages " +
                "as over MCP. Every refusal is RFC 7807 problem details (application/problem+json) with a one-line detail. " +
                (tokens.Enabled
                    ? "This gateway requires a bearer token on every /api route and on this document: read for reads, operate for control."
                    : "This gateway requires no token (loopback only, no token file); with --tokens every /api route needs a bearer token."),
        };
        if (!tokens.Enabled)
        {
            return Task.CompletedTask;
        }

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[BearerScheme] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            Description = "A token from 'brummer token create NAME --role read|operate|admin', sent as 'Authorization: Bearer TOKEN'.",
        };
        foreach (var (path, item) in document.Paths)
        {
            if (!path.StartsWith("/api/", StringComparison.Ordinal) || item.Operations is null)
            {
                continue;
            }

            foreach (var operation in item.Operations.Values)
            {
                operation.Security = [new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(BearerScheme, document)] = [] }];
            }
        }

        return Task.CompletedTask;
    }
}
