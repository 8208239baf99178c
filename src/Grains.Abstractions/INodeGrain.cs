using System.Collections.Immutable;
using Orleans.Concurrency;

namespace Brummer.Grains.Abstractions;

/// <summary>A node's status feed, keyed by node name and living on that node.</summary>
[Alias("brummer.node")]
public interface INodeGrain : IGrainWithStringKey
{
    /// <summary>The node's current snapshot, for a first view or a resync.</summary>
    [Alias("snapshot")]
    Task<NodeSnapshot> GetSnapshotAsync();

    /// <summary>Registers (or refreshes) an observer that receives every change as a delta; subscriptions expire unless renewed.</summary>
    [Alias("subscribe")]
    Task SubscribeAsync(IStatusObserver observer);

    [Alias("unsubscribe")]
    Task UnsubscribeAsync(IStatusObserver observer);

    /// <summary>Pushes what changed since the previous push to every subscriber. Called by the node itself when its table changes.</summary>
    [Alias("push")]
    Task PushAsync();

    /// <summary>
    /// Tells every subscriber the node is leaving on purpose, with its final changes, and waits (briefly) for each to
    /// take it. Called by the node itself once its processes are stopped, before the silo goes down.
    /// </summary>
    [Alias("leave")]
    Task LeaveAsync();

    /// <summary>
    /// Reads the node's definition files again and applies them: new processes appear, removed ones are stopped,
    /// changed running ones restart unless claimed. A file that no longer parses changes nothing and the answer says why.
    /// </summary>
    /// <remarks>Interleaved: a reload (which may wait for stops) never holds up the node's snapshots and pushes.</remarks>
    [Alias("reload"), ResponseTimeout("01:05:00"), AlwaysInterleave]
    Task<ReloadResult> ReloadAsync();
}

/// <summary>What a node's reload did (process names), or, with <see cref="Error"/>, why it changed nothing.</summary>
/// <remarks><see cref="Held"/> (changed, claimed, left running) is null from a node older than it, hence not an ImmutableArray.</remarks>
[GenerateSerializer, Immutable, Alias("brummer.reload-result")]
public sealed record ReloadResult(
    [property: Id(0)] string Node,
    [property: Id(1)] ImmutableArray<string> Added,
    [property: Id(2)] ImmutableArray<string> Removed,
    [property: Id(3)] ImmutableArray<string> Changed,
    [property: Id(4)] ImmutableArray<string> Restarted,
    [property: Id(5)] string? Error = null,
    [property: Id(6)] string[]? Held = null);

/// <summary>Receives a node's changes as they happen (gateways implement it).</summary>
[Alias("brummer.status-observer")]
public interface IStatusObserver : IGrainObserver
{
    [Alias("on-changes"), OneWay]
    Task OnChangesAsync(NodeDelta delta);

    /// <summary>The node's last delta before it leaves the cluster on purpose (Ctrl+C, SIGTERM); awaited, unlike changes.</summary>
    [Alias("on-leaving")]
    Task OnLeavingAsync(NodeDelta delta);
}

/// <summary>The timing of a node's status feed: subscription expiry and renewal, heartbeats, and when silence means trouble.</summary>
public static class StatusSubscription
{
    /// <summary>An observer whose gateway died never says goodbye: its subscription lapses after this.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(1);

    /// <summary>Gateways renew three times per expiry, so one or two failed renewals lose nothing.</summary>
    public static readonly TimeSpan RenewEvery = Expiry / 3;

    /// <summary>A quiet node pushes an empty delta this often, so gateways can tell quiet from stuck.</summary>
    public static readonly TimeSpan Heartbeat = TimeSpan.FromSeconds(2);

    /// <summary>Silence after which a gateway calls a node unresponsive: three missed heartbeats, and a little slack.</summary>
    public static readonly TimeSpan UnresponsiveAfter = (3 * Heartbeat) + TimeSpan.FromMilliseconds(500);
}
