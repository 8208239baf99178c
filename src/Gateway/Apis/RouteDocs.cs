using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;

namespace Brummer.Gateway.Apis;

/// <summary>What a caller passes in a parameter that the route reads as text (<see cref="QueryValues"/> parses it, with the same messages as MCP).</summary>
internal enum ValueKind
{
    Text = 0,
    WholeNumber = 1,
    LongNumber = 2,
    Flag = 3,
    Number = 4,
}

/// <summary>What the OpenAPI document says of one route parameter: what it is for and what a caller passes in it.</summary>
internal sealed record ParameterDoc(string Name, string Description, ValueKind Kind, long? Minimum, long? Maximum, IReadOnlyList<string>? Values, bool Required);

/// <summary>A route whose answer has one of several shapes (run answers differently from stop): the document says oneOf.</summary>
internal sealed record AnswersOneOf(IReadOnlyList<Type> Types);

/// <summary>
/// How a JSON route describes itself in the OpenAPI document (<c>/openapi/v1.json</c>): endpoint metadata only, read by
/// <see cref="OpenApiDocumentation"/>. Every route needs an id, a summary, its parameters and its refusals; the
/// gateway tests fail on a route without them.
/// </summary>
internal static class RouteDocs
{
    /// <param name="operationId">A wire name, like the MCP tools' (client generators name methods after it).</param>
    public static RouteHandlerBuilder Documented(this RouteHandlerBuilder route, string operationId, string summary, string description) =>
        route.WithName(operationId).WithSummary(summary).WithDescription(description);

    public static RouteHandlerBuilder Parameter(
        this RouteHandlerBuilder route,
        string name,
        string description,
        ValueKind kind = ValueKind.Text,
        long? minimum = null,
        long? maximum = null,
        IReadOnlyList<string>? values = null,
        bool required = false) =>
        route.WithMetadata(new ParameterDoc(name, description, kind, minimum, maximum, values, required));

    public static TBuilder Refuses<TBuilder>(this TBuilder builder, params Refusal[] refusals)
        where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata([.. refusals]);

    public static RouteHandlerBuilder AnswersOneOf(this RouteHandlerBuilder route, params Type[] types) =>
        route.WithMetadata(new AnswersOneOf(types));
}
