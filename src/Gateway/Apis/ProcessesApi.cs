using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Brummer.Gateway.Apis;

/// <summary>The JSON API: the same <see cref="ScriptsService"/> as the MCP tools, for curl and the CLI.</summary>
public static class ProcessesApi
{
    public static IEndpointRouteBuilder MapProcessesApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api");
        api.MapGet("/scripts", (ScriptsService s, string? node) => Handle(() => s.ListScripts(node)));
        api.MapGet("/processes", (ScriptsService s, string? name, string? node) => Handle(() => s.Status(name, node)));
        api.MapGet("/nodes", (ScriptsService s) => Handle(s.Nodes));
        api.MapGet("/logs", (LogsService l, string query, bool? regex, string? name, string? node, string? stream, string? since, int? limit, CancellationToken ct) =>
            HandleAsync(() => l.SearchAsync(query, regex ?? false, name, node, stream, since, limit, ct)));
        api.MapGet("/logs/{node}/{name}", (LogsService l, string node, string name, int? lines, long? after_seq, CancellationToken ct) =>
            HandleAsync(() => l.TailAsync(name, node, lines, after_seq, ct)));
        api.MapGet("/logs/{name}", (LogsService l, string name, int? lines, long? after_seq, CancellationToken ct) =>
            HandleAsync(() => l.TailAsync(name, null, lines, after_seq, ct)));
        api.MapGet("/errors", (LogsService l, string? name, string? node, int? limit, CancellationToken ct) =>
            HandleAsync(() => l.ErrorsAsync(name, node, limit, ct)));
        api.MapGet("/urls", (LogsService l, string? node, CancellationToken ct) => HandleAsync(() => l.UrlsAsync(node, ct)));


        api.MapPost("/processes/{node}/{name}/{action}", (ScriptsService s, string node, string name, string action, CancellationToken ct) =>
            Control(s, action, name, node, ct));
        api.MapPost("/processes/{name}/{action}", (ScriptsService s, string name, string action, CancellationToken ct) =>
            Control(s, action, name, null, ct));

        app.MapGet("/healthz", (Status.ClusterStatusCache cache) =>
            Results.Json(new { status = "ok", nodes = cache.Current.Nodes.Length }));
        return app;
    }

    private static async Task<IResult> Control(ScriptsService s, string action, string name, string? node, CancellationToken ct)
    {
        try
        {
            return action switch
            {
                "run" => Results.Json(await s.RunAsync(name, node, ct)),
                "stop" => Results.Json(await s.StopAsync(name, node, ct)),
                "restart" => Results.Json(await s.RestartAsync(name, node, ct)),
                _ => Results.Json(new ErrorResult($"Unknown action '{action}': use run, stop or restart."), statusCode: StatusCodes.Status404NotFound),
            };
        }
        catch (GatewayException ex)
        {
            return Error(ex);
        }
    }

    private static async Task<IResult> HandleAsync<T>(Func<Task<T>> read)
    {
        try
        {
            return Results.Json(await read());
        }
        catch (GatewayException ex)
        {
            return Error(ex);
        }
    }

    private static IResult Handle<T>(Func<T> read)
    {
        try
        {
            return Results.Json(read());
        }
        catch (GatewayException ex)
        {
            return Error(ex);
        }
    }

    private static IResult Error(GatewayException ex) => Results.Json(
        new ErrorResult(ex.Message),
        statusCode: ex.Kind switch
        {
            GatewayErrorKind.NotFound => StatusCodes.Status404NotFound,
            GatewayErrorKind.Unavailable => StatusCodes.Status503ServiceUnavailable,
            _ => StatusCodes.Status400BadRequest,
        });
}
