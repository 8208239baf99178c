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
}

/// <summary>Receives a node's changes as they happen (gateways implement it).</summary>
[Alias("brummer.status-observer")]
public interface IStatusObserver : IGrainObserver
{
    [Alias("on-changes"), OneWay]
    Task OnChangesAsync(NodeDelta delta);
}

/// <summary>How long a node keeps a subscription that is not renewed, and how often gateways renew theirs.</summary>
public static class StatusSubscription
{
    /// <summary>An observer whose gateway died never says goodbye: its subscription lapses after this.</summary>
    public static readonly TimeSpan Expiry = TimeSpan.FromMinutes(1);

    /// <summary>Gateways renew three times per expiry, so one or two failed renewals lose nothing.</summary>
    public static readonly TimeSpan RenewEvery = Expiry / 3;
}
