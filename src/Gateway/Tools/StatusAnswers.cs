using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using Brummer.Gateway.Status;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Brummer.Gateway.Tools;

/// <summary>
/// The unfiltered <c>scripts_status</c> answer, serialized once per cluster view instead of once per call: views change
/// tens of times a second under churn, while agents may ask hundreds of times a second. Lock-free: a reader takes the
/// cached answer if it was built from the current view and the same node freshness, and otherwise builds and publishes
/// a new one (two readers racing build equal answers; either may win).
/// </summary>
public sealed class StatusAnswers(ClusterStatusCache cache, TimeProvider time)
{
    private Answer? _answer;

    /// <summary>The status of every process on every node, as an MCP tool result (structured content + one line per process).</summary>
    public CallToolResult Everything()
    {
        var answer = Current();

        // A fresh result per call around the shared immutable parts: the SDK owns what it is handed.
        return new CallToolResult { StructuredContent = answer.Structured, Content = [new TextContentBlock { Text = answer.Text }] };
    }

    /// <summary>
    /// The same result as <see cref="Everything"/>, serialized (UTF-8 JSON of a <see cref="CallToolResult"/>), shared by
    /// every caller until the view changes: what <see cref="McpStatusPollResponder"/> sends without serializing again.
    /// </summary>
    public ReadOnlyMemory<byte> EverythingUtf8() => Current().Utf8;

    private Answer Current()
    {
        var view = cache.Current;
        var now = time.GetUtcNow();
        var heard = Freshness(view, now);
        var answer = Volatile.Read(ref _answer);
        if (answer is null || !ReferenceEquals(answer.View, view) || answer.Heard != heard)
        {
            answer = Answer.Build(view, now, heard);
            Volatile.Write(ref _answer, answer);
        }

        return answer;
    }

    /// <summary>
    /// What the answer shows that can change without a new view: each node's last heartbeat and whether it has gone
    /// unresponsive meanwhile. Folded into one number (no allocation), part of the cache key.
    /// </summary>
    private static (long Heard, long States) Freshness(ClusterView view, DateTimeOffset now)
    {
        long heard = 0;
        long states = 0;
        foreach (var node in view.Nodes)
        {
            heard = unchecked(heard + node.ReceivedAt.UtcTicks);
            states = unchecked((states * 5) + (int)node.State(now));
        }

        return (heard, states);
    }

    private sealed record Answer(ClusterView View, (long Heard, long States) Heard, JsonElement Structured, string Text, byte[] Utf8)
    {
        private static readonly JsonTypeInfo<CallToolResult> ResultJson = (JsonTypeInfo<CallToolResult>)McpJsonUtilities.DefaultOptions.GetTypeInfo(typeof(CallToolResult));

        public static Answer Build(ClusterView view, DateTimeOffset now, (long, long) heard)
        {
            var result = ScriptsService.Status(view, now, StatusQuery.Everything);
            // The SDK's own options, so the structured content is what the SDK would have written.
            var structured = JsonSerializer.SerializeToElement(result, McpJsonUtilities.DefaultOptions);
            var text = StatusText.Render(result);
            var utf8 = JsonSerializer.SerializeToUtf8Bytes(new CallToolResult { StructuredContent = structured, Content = [new TextContentBlock { Text = text }] }, ResultJson);
            return new Answer(view, heard, structured, text, utf8);
        }
    }
}
