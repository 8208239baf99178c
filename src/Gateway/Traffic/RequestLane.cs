using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Brummer.Gateway.Traffic;

/// <summary>
/// Which queue a request waits in. Answers from the cache (status, lists, the MCP handshake) never wait behind
/// searches, tails or control calls, which each call nodes and can take seconds: one lane each, with its own
/// permits and queue, so a flood of slow searches only ever delays other searches.
/// </summary>
public enum RequestLane
{
    /// <summary>Not limited (health checks, anything outside /mcp and /api).</summary>
    None = 0,

    /// <summary>Answered from the gateway's cache: status, scripts, nodes, and the MCP protocol's own messages.</summary>
    Reads = 1,

    /// <summary>Log searches, tails, errors and URLs: each a call to one or every node, bounded in time but not cheap.</summary>
    Logs = 2,

    /// <summary>Run, stop, restart: a call to one node that waits for a process to start or its tree to go.</summary>
    Control = 3,

    /// <summary>
    /// Waits for a process to reach a state: cheap (no node is called, the gateway's change feed wakes them) but long,
    /// up to their timeout, so they get a lane of their own instead of holding a read's or a search's permit.
    /// </summary>
    Waits = 4,
}

/// <summary>Marks a JSON API route with its lane (MCP requests get theirs from the tool they call).</summary>
[AttributeUsage(AttributeTargets.Method | AttributeTargets.Class)]
public sealed class LaneAttribute(RequestLane lane) : Attribute
{
    public RequestLane Lane { get; } = lane;
}

public static class RequestLanes
{
    private static readonly object LaneKey = new();

    public static void SetLane(this HttpContext context, RequestLane lane)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Items[LaneKey] = lane;
    }

    public static RequestLane LaneOf(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items.TryGetValue(LaneKey, out var lane) && lane is RequestLane set)
        {
            return set;
        }

        return context.GetEndpoint()?.Metadata.GetMetadata<LaneAttribute>()?.Lane ?? RequestLane.None;
    }

    /// <summary>The MCP tools that go to nodes; every other tool (and every protocol message) is a read.</summary>
    public static RequestLane OfTool(string? tool) => tool switch
    {
        "logs_search" or "logs_tail" or "errors_list" or "urls_list" => RequestLane.Logs,
        "scripts_run" or "scripts_stop" or "scripts_restart" or "stack_reload" or "scripts_claim" or "scripts_release" => RequestLane.Control,
        "wait_for" => RequestLane.Waits,
        _ => RequestLane.Reads,
    };

    /// <summary>
    /// Waits in progress at once: each costs a parked task and a connection, not a thread, so many fit; the bound only
    /// keeps a runaway client from piling up connections. Past it a wait is refused at once (503).
    /// </summary>
    public const int MaxWaits = 4_096;

    /// <summary>
    /// One concurrency limiter per lane. Reads get a few permits per core so that the nodes' pushed changes are not
    /// starved of threads; logs get half the cores, so searches (CPU-bound where a node shares the process) leave the
    /// rest for everything else; control calls mostly wait on nodes, so they get more; waits only sleep.
    /// </summary>
    public static PartitionedRateLimiter<HttpContext> Create(int processors) =>
        PartitionedRateLimiter.Create<HttpContext, RequestLane>(context =>
        {
            var lane = LaneOf(context);
            return lane switch
            {
                RequestLane.Reads => RateLimitPartition.GetConcurrencyLimiter(lane, _ => Options(Math.Max(4, processors * 2), 10_000)),
                RequestLane.Logs => RateLimitPartition.GetConcurrencyLimiter(lane, _ => Options(Math.Max(1, processors / 2), 1_000)),
                RequestLane.Control => RateLimitPartition.GetConcurrencyLimiter(lane, _ => Options(Math.Max(4, processors * 4), 1_000)),
                RequestLane.Waits => RateLimitPartition.GetConcurrencyLimiter(lane, _ => Options(MaxWaits, 0)),
                _ => RateLimitPartition.GetNoLimiter(lane),
            };
        });

    private static ConcurrencyLimiterOptions Options(int permits, int queue) => new()
    {
        PermitLimit = permits,
        QueueLimit = queue,
        QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
    };
}
