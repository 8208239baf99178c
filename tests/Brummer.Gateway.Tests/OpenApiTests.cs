using System.Net;
using System.Text.Json;
using Brummer.Gateway.Security;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;

namespace Brummer.Gateway.Tests;

/// <summary>
/// The JSON API's OpenAPI document (/openapi/v1.json) against what the gateway really maps: every /api route, with its
/// method, parameters, answer and problem responses — so a route added without its description fails here — and
/// served only to whoever may read the API.
/// </summary>
public sealed class OpenApiTests(TokenGatewayFixture fixture) : IClassFixture<TokenGatewayFixture>
{
    private const string Document = "/openapi/v1.json";
    private const string ProblemJson = "application/problem+json";

    private GatewayUnderTest Gateway => fixture.Gateway;

    [Fact]
    public async Task OpenApi_EveryMappedApiRoute_IsDescribedWithItsProblemResponses()
    {
        var paths = (await FetchAsync(Gateway, Gateway.Tokens[GatewayRole.Read])).GetProperty("paths");
        var routes = MappedRoutes(Gateway.Services, "/api");
        Assert.Contains(("GET", "/api/processes"), routes.Select(r => (r.Method, r.Path)));
        Assert.Contains(("POST", "/api/processes/{node}/{name}/{action}"), routes.Select(r => (r.Method, r.Path)));

        var missing = new List<string>();
        foreach (var (method, path, parameters) in routes)
        {
            var route = $"{method} {path}";
            if (!paths.TryGetProperty(path, out var item) || !item.TryGetProperty(method.ToLowerInvariant(), out var operation))
            {
                missing.Add($"{route}: not in the document");
                continue;
            }

            foreach (var field in new[] { "operationId", "summary", "description" })
            {
                if (!operation.TryGetProperty(field, out var value) || string.IsNullOrWhiteSpace(value.GetString()))
                {
                    missing.Add($"{route}: no {field}");
                }
            }

            var documented = operation.TryGetProperty("parameters", out var list) ? list.EnumerateArray().ToList() : [];
            foreach (var parameter in documented)
            {
                if (!parameter.TryGetProperty("description", out var description) || string.IsNullOrWhiteSpace(description.GetString()))
                {
                    missing.Add($"{route}: parameter '{parameter.GetProperty("name").GetString()}' has no description");
                }
            }

            foreach (var name in parameters)
            {
                if (!documented.Any(p => p.GetProperty("name").GetString() == name && p.GetProperty("in").GetString() == "path"))
                {
                    missing.Add($"{route}: path parameter '{name}' is not described");
                }
            }

            var responses = operation.GetProperty("responses");
            // The event stream answers text/event-stream; every other route JSON.
            var answer = path == "/api/events" ? "text/event-stream" : "application/json";
            if (!responses.TryGetProperty("200", out var ok) || !ok.TryGetProperty("content", out var okContent) || !okContent.TryGetProperty(answer, out _))
            {
                missing.Add($"{route}: no {answer} answer for 200");
            }

            var refusals = responses.EnumerateObject().Where(r => r.Name[0] is '4' or '5').ToList();
            foreach (var status in new[] { "401", "403", "503" })
            {
                if (!refusals.Any(r => r.Name == status))
                {
                    missing.Add($"{route}: problem response {status} not listed");
                }
            }

            foreach (var refusal in refusals)
            {
                if (!refusal.Value.TryGetProperty("content", out var content) || !content.TryGetProperty(ProblemJson, out _))
                {
                    missing.Add($"{route}: {refusal.Name} is not {ProblemJson}");
                }

                if (refusal.Value.GetProperty("description").GetString() is not { Length: > 20 })
                {
                    missing.Add($"{route}: {refusal.Name} does not say why");
                }
            }
        }

        Assert.True(missing.Count == 0, "The OpenAPI document falls short of the mapped routes:\n" + string.Join('\n', missing));
    }

    [Theory]
    [InlineData("get", "/api/scripts", "400 404 503")]
    [InlineData("get", "/api/processes", "400 404 503")]
    [InlineData("get", "/api/logs/{node}/{name}", "400 404 503 504")]
    [InlineData("get", "/api/processes/{node}/{name}/wait", "400 404 409 503 504")]
    [InlineData("get", "/api/processes/{name}/wait", "400 404 409 503 504")]
    [InlineData("post", "/api/processes/{node}/{name}/{action}", "400 404 409 413 415 503 504")]
    [InlineData("post", "/api/processes/{name}/{action}", "400 404 409 413 415 503 504")]
    [InlineData("post", "/api/reload", "400 404 503 504")]
    public async Task OpenApi_Route_ListsTheRefusalsItsServicesGive(string method, string path, string statuses)
    {
        var operation = (await FetchAsync(Gateway, Gateway.Tokens[GatewayRole.Read])).GetProperty("paths").GetProperty(path).GetProperty(method);

        var listed = operation.GetProperty("responses").EnumerateObject().Select(r => r.Name).ToHashSet();

        Assert.Subset(listed, statuses.Split(' ').ToHashSet());
    }

    [Fact]
    public async Task OpenApi_QueryValues_AreDescribedAsWhatCallersPass()
    {
        var paths = (await FetchAsync(Gateway, Gateway.Tokens[GatewayRole.Read])).GetProperty("paths");

        var search = Parameters(paths, "/api/logs", "get");
        Assert.True(search["query"].GetProperty("required").GetBoolean());
        Assert.Equal("boolean", search["regex"].GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal("integer", search["limit"].GetProperty("schema").GetProperty("type").GetString());
        Assert.Equal("1000", search["limit"].GetProperty("schema").GetProperty("maximum").GetRawText());
        Assert.Equal(["stdout", "stderr"], search["stream"].GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        var tail = Parameters(paths, "/api/logs/{node}/{name}", "get");
        Assert.Equal("int64", tail["after_seq"].GetProperty("schema").GetProperty("format").GetString());
        var control = Parameters(paths, "/api/processes/{node}/{name}/{action}", "post");
        Assert.Equal(["run", "stop", "restart"], control["action"].GetProperty("schema").GetProperty("enum").EnumerateArray().Select(v => v.GetString()));
        Assert.Equal(2, paths.GetProperty("/api/processes/{node}/{name}/{action}").GetProperty("post").GetProperty("responses").GetProperty("200")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("oneOf").GetArrayLength());
    }

    [Fact]
    public async Task OpenApi_Document_DescribesHealthAndTokensAndLeavesOutMcp()
    {
        var document = await FetchAsync(Gateway, Gateway.Tokens[GatewayRole.Read]);
        var paths = document.GetProperty("paths");

        Assert.StartsWith("3.1", document.GetProperty("openapi").GetString(), StringComparison.Ordinal);
        Assert.False(paths.TryGetProperty("/mcp", out _));
        Assert.Equal("#/components/schemas/HealthResult", paths.GetProperty("/healthz").GetProperty("get").GetProperty("responses").GetProperty("200")
            .GetProperty("content").GetProperty("application/json").GetProperty("schema").GetProperty("$ref").GetString());
        Assert.Equal("bearer", document.GetProperty("components").GetProperty("securitySchemes").GetProperty("bearer").GetProperty("scheme").GetString());
        Assert.True(paths.GetProperty("/api/nodes").GetProperty("get").GetProperty("security")[0].TryGetProperty("bearer", out _));
    }

    [Theory]
    [InlineData(null, null, null, HttpStatusCode.Unauthorized)]
    [InlineData("brm_not-a-real-token", null, null, HttpStatusCode.Unauthorized)]
    [InlineData("read", "http://evil.example", null, HttpStatusCode.Forbidden)]
    [InlineData("read", null, "evil.example", HttpStatusCode.Forbidden)]
    public async Task OpenApi_Document_IsRefusedWhereTheApiIs(string? token, string? origin, string? host, HttpStatusCode expected)
    {
        var bearer = token == "read" ? Gateway.Tokens[GatewayRole.Read] : token;

        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, Document, bearer, origin, host));

        Assert.Equal(expected, response.StatusCode);
        Assert.NotEmpty(await BrowserSafetyTests.Detail(response));
    }

    [Fact]
    public async Task OpenApi_LoopbackGatewayWithoutTokens_ServesItWithoutAToken()
    {
        await using var loopback = await GatewayUnderTest.StartAsync(withTokens: false, readOnly: true);

        var document = await FetchAsync(loopback, token: null);

        // Read-only: control routes are not mapped, so not described; no token, so no security scheme.
        Assert.False(document.GetProperty("paths").TryGetProperty("/api/reload", out _));
        Assert.True(document.GetProperty("paths").TryGetProperty("/api/processes/{name}/wait", out _));
        Assert.False(document.TryGetProperty("components", out var components) && components.TryGetProperty("securitySchemes", out _));
    }

    private static async Task<JsonElement> FetchAsync(GatewayUnderTest gateway, string? token)
    {
        using var response = await gateway.SendAsync(gateway.Request(HttpMethod.Get, Document, token));
        var body = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == HttpStatusCode.OK, $"{Document}: {(int)response.StatusCode} {body}");
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static Dictionary<string, JsonElement> Parameters(JsonElement paths, string path, string method) =>
        paths.GetProperty(path).GetProperty(method).GetProperty("parameters").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!);

    /// <summary>Every (method, path, path parameters) the app maps under <paramref name="prefix"/>, as its endpoints say, not as a list here says.</summary>
    private static List<(string Method, string Path, IReadOnlyList<string> Parameters)> MappedRoutes(IServiceProvider services, string prefix)
    {
        var routes = new List<(string, string, IReadOnlyList<string>)>();
        foreach (var endpoint in services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>())
        {
            var path = "/" + string.Join('/', endpoint.RoutePattern.PathSegments.Select(segment => string.Concat(segment.Parts.Select(part => part switch
            {
                RoutePatternLiteralPart literal => literal.Content,
                RoutePatternParameterPart parameter => $"{{{parameter.Name}}}",
                RoutePatternSeparatorPart separator => separator.Content,
                _ => throw new InvalidOperationException($"Unexpected route part {part}"),
            }))));
            if (path != prefix && !path.StartsWith(prefix + "/", StringComparison.Ordinal))
            {
                continue;
            }

            var methods = endpoint.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods;
            Assert.True(methods is { Count: > 0 }, $"{path} answers every HTTP method: the document cannot describe it.");
            foreach (var method in methods)
            {
                routes.Add((method, path, [.. endpoint.RoutePattern.Parameters.Select(p => p.Name)]));
            }
        }

        return routes;
    }
}
