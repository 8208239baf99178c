using Brummer.Gateway.Contracts;
using Brummer.Gateway.Security;
using Brummer.Gateway.Services;
using Brummer.Gateway.Traffic;
using Brummer.Gateway.Waiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Brummer.Gateway.Apis;

/// <summary>The JSON API: the same services as the MCP tools, for curl and the CLI. Refusals are RFC 7807 problem details.</summary>
public static class ProcessesApi
{
    public static IEndpointRouteBuilder MapProcessesApi(this IEndpointRouteBuilder app, bool readOnly = false)
    {
        var api = app.MapGroup("/api").AddEndpointFilter(RefusalsAsProblems);
        var reads = api.MapGroup(string.Empty).RequireAuthorization(RoleAuthorization.Policy(GatewayRole.Read));
        var cached = reads.MapGroup(string.Empty).WithMetadata(new LaneAttribute(RequestLane.Reads));
        cached.MapGet("/scripts", (ScriptsService s, string? node) => s.ListScripts(node));
        cached.MapGet("/processes", (ScriptsService s, string? name, string? node, string? status, string? changed_since) =>
            s.Status(StatusQuery.Parse(name, node, status, changed_since)));
        cached.MapGet("/nodes", (ScriptsService s) => s.Nodes());

        var logs = reads.MapGroup(string.Empty).WithMetadata(new LaneAttribute(RequestLane.Logs));
        // Numbers and flags arrive as text and are parsed by QueryValues, so a bad one gets the same kind of message as
        // over MCP instead of the framework's bare 400.
        logs.MapGet("/logs", (LogsService l, string? query, string? regex, string? name, string? node, string? stream, string? since, string? limit, CancellationToken ct) =>
            l.SearchAsync(query, QueryValues.Flag(regex, "regex"), name, node, stream, since, QueryValues.Int(limit, "limit"), ct));
        logs.MapGet("/logs/{node}/{name}", (LogsService l, string node, string name, string? lines, string? after_seq, CancellationToken ct) =>
            l.TailAsync(Segment(name), Segment(node), QueryValues.Int(lines, "lines"), QueryValues.Long(after_seq, "after_seq"), ct));
        logs.MapGet("/logs/{name}", (LogsService l, string name, string? lines, string? after_seq, CancellationToken ct) =>
            l.TailAsync(Segment(name), null, QueryValues.Int(lines, "lines"), QueryValues.Long(after_seq, "after_seq"), ct));
        logs.MapGet("/errors", (LogsService l, string? name, string? node, string? limit, CancellationToken ct) => l.ErrorsAsync(name, node, QueryValues.Int(limit, "limit"), ct));
        logs.MapGet("/urls", (LogsService l, string? node, CancellationToken ct) => l.UrlsAsync(node, ct));

        // Waiting is a read, but a long one: a lane of its own, so it never holds a status read's permit.
        var waits = reads.MapGroup(string.Empty).WithMetadata(new LaneAttribute(RequestLane.Waits));
        waits.MapGet("/processes/{node}/{name}/wait", (WaitService w, string node, string name, string? @for, string? timeout, CancellationToken ct) =>
            WaitAsync(w, name, node, @for, timeout, ct));
        waits.MapGet("/processes/{name}/wait", (WaitService w, string name, string? @for, string? timeout, CancellationToken ct) =>
            WaitAsync(w, name, null, @for, timeout, ct));

        if (!readOnly)
        {
            var control = api.MapGroup(string.Empty)
                .RequireAuthorization(RoleAuthorization.Policy(GatewayRole.Operate))
                .WithMetadata(new LaneAttribute(RequestLane.Control));
            control.MapPost("/processes/{node}/{name}/{action}", (ScriptsService s, WaitService w, string node, string name, string action, string? wait, string? timeout, CancellationToken ct) =>
                ControlAsync(s, w, action, Segment(name), Segment(node), wait, timeout, ct));
            control.MapPost("/processes/{name}/{action}", (ScriptsService s, WaitService w, string name, string action, string? wait, string? timeout, CancellationToken ct) =>
                ControlAsync(s, w, action, Segment(name), null, wait, timeout, ct));
            control.MapPost("/reload", (StackService s, string? node, CancellationToken ct) => s.ReloadAsync(node, ct));
        }

        app.MapGet("/healthz", (Status.ClusterStatusCache cache) =>
            Results.Json(new { status = "ok", nodes = cache.Current.Nodes.Length }));
        return app;
    }

    /// <summary>
    /// A name from one path segment. Kestrel decodes every escape in the path except %2F (it would change the
    /// segments), so a name with '/' (a workspace package's script, <c>@shop/web:dev</c>, sent as
    /// <c>%40shop%2Fweb%3Adev</c>) still holds it here. A name written with a literal "%2F" cannot be told apart and is
    /// read as '/': the price of keeping the routes plain.
    /// </summary>
    private static string Segment(string value) => value.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static Task<WaitResult> WaitAsync(WaitService w, string name, string? node, string? condition, string? timeout, CancellationToken ct) =>
        w.WaitAsync(
            name,
            node,
            WaitConditions.Require(condition, "for"),
            Arguments.WaitTimeout(QueryValues.Int(timeout, "timeout"), "timeout"),
            ct);

    private static async Task<object> ControlAsync(ScriptsService s, WaitService w, string action, string name, string? node, string? wait, string? timeout, CancellationToken ct)
    {
        if (action != "run" && (wait is not null || timeout is not null))
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, $"'wait' and 'timeout' apply to run only; {InputText.Quote(action)} answers once it is done.");
        }

        return action switch
        {
            "run" => await w.RunAsync(s, name, node, wait, QueryValues.Int(timeout, "timeout"), "timeout", ct),
            "stop" => await s.StopAsync(name, node, ct),
            "restart" => await s.RestartAsync(name, node, ct),
            _ => throw new GatewayException(GatewayErrorKind.NotFound, $"Unknown action {InputText.Quote(action)}: use run, stop or restart."),
        };
    }

    /// <summary>Every route's refusals, translated once: a <see cref="GatewayException"/> becomes problem details and one information line.</summary>
    private static async ValueTask<object?> RefusalsAsProblems(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (GatewayException ex)
        {
            var logger = context.HttpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger(typeof(ProcessesApi));
            logger.LogInformation("{Method} {Path} refused ({Kind}): {Reason}", context.HttpContext.Request.Method, InputText.Quote(context.HttpContext.Request.Path.Value), ex.Kind, ex.Message);
            return Problems.For(ex);
        }
    }
}
