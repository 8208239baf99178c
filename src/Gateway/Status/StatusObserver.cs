using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Status;

/// <summary>
/// Receives pushed node changes: merges them, and asks for a full resync of a node when one was missed. Pushes are
/// one-way and can overtake each other on the way (a gateway whose client reaches the cluster through several silos gets
/// them over several connections), so a delta that arrives before its predecessor is held for up to
/// <see cref="ReorderGrace"/> and merged when the predecessor lands; only a predecessor that never comes costs a pull.
/// </summary>
internal sealed class StatusObserver(ClusterStatusCache cache, GatewayMetrics metrics, TimeProvider time, Action<string> onGap, Action<string> onLeft) : IStatusObserver
{
    public static readonly TimeSpan ReorderGrace = TimeSpan.FromMilliseconds(250);

    public Task OnChangesAsync(NodeDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        var outcome = cache.Apply(delta);
        if (outcome != DeltaOutcome.Gap)
        {
            Count(delta, outcome);
        }
        else if (cache.Current.Find(delta.Node) is { IsLost: false, HasLeft: false } known && known.Incarnation == delta.Incarnation && known.DefinitionsVersion == delta.DefinitionsVersion)
        {
            _ = HoldAsync(delta); // a version gap in a run the gateway follows: its predecessor may be on the way
        }
        else
        {
            metrics.Delta(outcome); // a run or definitions the gateway has never seen: only a pull can start them
            onGap(delta.Node);
        }

        return Task.CompletedTask;
    }

    public Task OnLeavingAsync(NodeDelta delta)
    {
        ArgumentNullException.ThrowIfNull(delta);
        Count(delta, cache.Apply(delta));
        onLeft(delta.Node);
        return Task.CompletedTask;
    }

    private void Count(NodeDelta delta, DeltaOutcome outcome)
    {
        metrics.Delta(outcome);
        if (outcome == DeltaOutcome.Applied)
        {
            metrics.Applied(delta, time.GetUtcNow(), cache.Current.Find(delta.Node)?.Clock.Offset ?? TimeSpan.Zero);
        }
    }

    private async Task HoldAsync(NodeDelta delta)
    {
        var deadline = time.GetUtcNow() + ReorderGrace;
        while (true)
        {
            var changed = cache.WhenChanged();
            var outcome = cache.Apply(delta);
            var left = deadline - time.GetUtcNow();
            if (outcome != DeltaOutcome.Gap || left <= TimeSpan.Zero)
            {
                Count(delta, outcome);
                if (outcome == DeltaOutcome.Gap)
                {
                    onGap(delta.Node);
                }

                return;
            }

            try
            {
                await changed.WaitAsync(left, time).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // The predecessor did not come: the next round pulls.
            }
        }
    }
}
