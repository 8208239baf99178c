using System.Threading.Channels;
using Microsoft.Extensions.Time.Testing;

namespace Brummer.Grains.Tests;

/// <summary>
/// A fake clock that tells the test each timer the code under test starts, so the test moves time only once the code
/// waits (moved earlier, a timer made afterwards would count from the new time and the test would hang).
/// </summary>
internal sealed class WatchedClock : FakeTimeProvider
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly Channel<TimeSpan> _timers = Channel.CreateUnbounded<TimeSpan>();

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = base.CreateTimer(callback, state, dueTime, period);
        _timers.Writer.TryWrite(dueTime);
        return timer;
    }

    /// <summary>The length of the next timer started, skipping those of length <paramref name="ignored"/> (a check's timeout).</summary>
    public async Task<TimeSpan> NextWaitAsync(TimeSpan ignored)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (true)
        {
            var due = await _timers.Reader.ReadAsync(patience.Token);
            if (due != ignored)
            {
                return due;
            }
        }
    }

    /// <summary>Waits until a timer of length <paramref name="due"/> is started (others are skipped).</summary>
    public async Task TimerAsync(TimeSpan due)
    {
        using var patience = new CancellationTokenSource(Patience);
        while (await _timers.Reader.ReadAsync(patience.Token) != due)
        {
        }
    }
}
