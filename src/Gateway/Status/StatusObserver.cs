using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Status;

/// <summary>Receives pushed node changes: merges them, and asks for a full resync of a node when one was missed.</summary>
internal sealed class StatusObserver(ClusterStatusCache cache, Action<string> onGap) : IStatusObserver
{
    public Task OnChangesAsync(NodeDelta delta)
    {
        if (cache.Apply(delta) == DeltaOutcome.Gap)
        {
            onGap(delta.Node);
        }

        return Task.CompletedTask;
    }
}
