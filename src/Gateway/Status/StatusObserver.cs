using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Status;

/// <summary>Receives pushed node changes: merges them, and asks for a full resync of a node when one was missed.</summary>
internal sealed class StatusObserver(ClusterStatusCache cache, GatewayMetrics metrics, Action<string> onGap, Action<string> onLeft) : IStatusObserver
{
    public Task OnChangesAsync(NodeDelta delta)
    {
        var outcome = cache.Apply(delta);
        metrics.Delta(outcome);
        if (outcome == DeltaOutcome.Gap)
        {
            onGap(delta.Node);
        }

        return Task.CompletedTask;
    }

    public Task OnLeavingAsync(NodeDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        metrics.Delta(cache.Apply(delta));
        onLeft(delta.Node);
        return Task.CompletedTask;
    }
}
