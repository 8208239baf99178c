using System.Buffers;
using System.Diagnostics;
using System.Text;
using Brummer.Gateway.Status;
using Brummer.Gateway.Traffic;
using Microsoft.AspNetCore.Http;
using Microsoft.Net.Http.Headers;
using static Brummer.Telemetry.BrummerTelemetry;

namespace Brummer.Gateway.Tools;

/// <summary>
/// Answers the common MCP poll, <c>tools/call scripts_status</c> with no arguments (marked by the
/// <see cref="McpEnvelopeGuard"/>), with the result bytes <see cref="StatusAnswers"/> serialized once per cluster view,
/// as one <c>application/json</c> JSON-RPC response: the Streamable HTTP transport lets a server answer a request that
/// way when the client accepts it (clients must accept both it and <c>text/event-stream</c>). The SDK would build the
/// same result as a JSON DOM and serialize it again on every call, which costs several times the JSON API's answer.
/// Anything the SDK would answer differently (a session id, a protocol revision with per-request metadata, a client
/// that does not accept both media types) goes on to the SDK, which then answers as it always does.
/// </summary>
internal sealed class McpStatusPollResponder(RequestDelegate next, StatusAnswers answers, GatewayMetrics metrics)
{
    // Revisions whose requests carry nothing the SDK would check or add to the result (later ones add _meta).
    private static readonly string[] PlainRevisions = ["2024-11-05", "2025-03-26", "2025-06-18", "2025-11-25"];

    public Task InvokeAsync(HttpContext context) =>
        context.Features.Get<McpStatusPoll>() is { } poll && Answerable(context.Request) ? AnswerAsync(context.Response, poll) : next(context);

    private static bool Answerable(HttpRequest request)
    {
        // No Mcp-Session-Id reaches here: McpSessionEndpoint (before this) answers unknown ones and strips known ones.
        var headers = request.Headers;
        var revision = headers["MCP-Protocol-Version"];
        if (revision.Count > 0 && (revision.Count > 1 || Array.IndexOf(PlainRevisions, revision[0]) < 0))
        {
            return false;
        }

        var accept = request.GetTypedHeaders().Accept;
        return accept.Any(a => a.MatchesMediaType("application/json")) && accept.Any(a => a.MatchesMediaType("text/event-stream"));
    }

    private async Task AnswerAsync(HttpResponse response, McpStatusPoll poll)
    {
        var started = Stopwatch.GetTimestamp();
        // The SDK's own span for the call is not made here; the request's span says what the call was instead.
        NotTraced(Activity.Current?.SetTag(Attributes.McpMethod, "tools/call").SetTag(Attributes.Tool, ToolCallMetrics.StatusTool));
        var result = answers.EverythingUtf8();
        var idLength = Encoding.UTF8.GetByteCount(poll.Id);
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "application/json";
        response.Headers.CacheControl = "no-cache";
        response.ContentLength = Prefix.Length + result.Length + Middle.Length + idLength + Suffix.Length;

        var body = response.BodyWriter;
        body.Write(Prefix);
        body.Write(result.Span);
        body.Write(Middle);
        Encoding.UTF8.GetBytes(poll.Id, body.GetSpan(idLength));
        body.Advance(idLength);
        body.Write(Suffix);
        await body.FlushAsync(response.HttpContext.RequestAborted);
        metrics.ToolCall(ToolCallMetrics.StatusTool, Outcomes.Ok, Stopwatch.GetElapsedTime(started));
    }

    /// <summary>
    /// The poll's request span is not recorded, so it is never exported: an unfiltered status poll changes nothing and
    /// reads a view the gateway already holds, an agent repeats it every few hundred milliseconds, and exporting a span
    /// for each (thousands a second under load) was the whole cost of trace export to status latency (docs/benchmarks.md,
    /// "Cost of telemetry"). Its count and duration stay in <c>brummer.gateway.mcp.tool_calls</c> and
    /// <c>brummer.gateway.mcp.tool_call.duration</c>; a filtered status call goes through the SDK and is traced as usual.
    /// </summary>
    private static void NotTraced(Activity? request)
    {
        if (request is not null)
        {
            request.IsAllDataRequested = false;
            request.ActivityTraceFlags &= ~ActivityTraceFlags.Recorded;
        }
    }

    private static ReadOnlySpan<byte> Prefix => """{"result":"""u8;

    private static ReadOnlySpan<byte> Middle => ""","id":"""u8;

    private static ReadOnlySpan<byte> Suffix => ""","jsonrpc":"2.0"}"""u8;
}
