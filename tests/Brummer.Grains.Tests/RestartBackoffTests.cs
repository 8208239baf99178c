using Brummer.Grains.Discovery;
using Brummer.Grains.Processes.Restarts;
using Microsoft.Extensions.Time.Testing;

namespace Brummer.Grains.Tests;

/// <summary>
/// When a crashed process comes back: waits doubling from backoff_seconds to max_backoff_seconds with ±20% jitter,
/// a count that starts again after a stable run, max_restarts, and the three modes. On a clock the test moves.
/// </summary>
public sealed class RestartBackoffTests
{
    private static readonly TimeSpan Crash = TimeSpan.FromMilliseconds(200); // well below StableAfter
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 28, 12, 0, 0, TimeSpan.Zero));

    private static RestartPolicy Policy(RestartMode mode = RestartMode.OnFailure, double backoff = 1, double maxBackoff = 60, int maxRestarts = 0, double stableAfter = 30) =>
        new(mode, TimeSpan.FromSeconds(backoff), TimeSpan.FromSeconds(maxBackoff), maxRestarts, TimeSpan.FromSeconds(stableAfter));

    private RestartBackoff Backoff(RestartPolicy policy, int seed = 1) => new(policy, _time, new Random(seed));

    private static ProcessExit Crashed(int code = 1) => new(code, Crash);

    [Fact]
    public void RestartBackoff_CrashesInARow_WaitDoublesFromBackoffWithinJitter()
    {
        var backoff = Backoff(Policy(backoff: 1, maxBackoff: 1000));

        for (var n = 1; n <= 6; n++)
        {
            var decision = backoff.Decide(Crashed());

            var expected = Math.Pow(2, n - 1);
            Assert.True(decision.Restart);
            Assert.InRange(decision.Delay.TotalSeconds, expected * 0.8, expected * 1.2);
            Assert.Equal(n, backoff.ConsecutiveRestarts);
        }
    }

    [Fact]
    public void RestartBackoff_ManyCrashes_NeverWaitsLongerThanMaxBackoff()
    {
        var backoff = Backoff(Policy(backoff: 1, maxBackoff: 8));

        var delays = Enumerable.Range(0, 200).Select(_ => backoff.Decide(Crashed()).Delay.TotalSeconds).ToList();

        Assert.All(delays, d => Assert.True(d <= 8, $"waited {d} s, more than max_backoff 8 s"));
        // From the 5th restart on (1·2^4 = 16 > 8) the wait sits at the cap less at most the jitter.
        Assert.All(delays.Skip(4), d => Assert.InRange(d, 8 * 0.8, 8));
        Assert.Contains(delays.Skip(4), d => d < 7.9); // jitter still spreads capped waits
    }

    [Fact]
    public void RestartBackoff_HugeRestartCount_DoesNotOverflow()
    {
        var backoff = Backoff(Policy(backoff: 1, maxBackoff: 30));

        for (var i = 0; i < 2000; i++)
        {
            backoff.Decide(Crashed());
        }

        Assert.InRange(backoff.Decide(Crashed()).Delay.TotalSeconds, 30 * 0.8, 30);
    }

    [Fact]
    public void RestartBackoff_SameWaitManyTimes_JitterStaysWithinTwentyPercentAndVaries()
    {
        var seen = new HashSet<long>();
        for (var seed = 0; seed < 500; seed++)
        {
            var delay = Backoff(Policy(backoff: 10, maxBackoff: 100), seed).Decide(Crashed()).Delay;

            Assert.InRange(delay.TotalSeconds, 8, 12);
            seen.Add(delay.Ticks);
        }

        Assert.True(seen.Count > 400, $"only {seen.Count} distinct waits out of 500: jitter is not spreading restarts");
        Assert.Contains(seen, t => t < TimeSpan.FromSeconds(9).Ticks);
        Assert.Contains(seen, t => t > TimeSpan.FromSeconds(11).Ticks);
    }

    [Fact]
    public void RestartBackoff_SameSeed_GivesTheSameWaits()
    {
        var first = Backoff(Policy(), seed: 42);
        var second = Backoff(Policy(), seed: 42);

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(first.Decide(Crashed()).Delay, second.Decide(Crashed()).Delay);
        }
    }

    [Fact]
    public void RestartBackoff_RunStayedUpStableAfter_CountStartsAgain()
    {
        var backoff = Backoff(Policy(backoff: 1, maxBackoff: 60, stableAfter: 30));
        for (var i = 0; i < 4; i++)
        {
            backoff.Decide(Crashed());
        }

        var decision = backoff.Decide(new ProcessExit(1, TimeSpan.FromSeconds(30)));

        Assert.Equal(1, backoff.ConsecutiveRestarts);
        Assert.InRange(decision.Delay.TotalSeconds, 0.8, 1.2);
    }

    [Fact]
    public void RestartBackoff_RunShorterThanStableAfter_KeepsCounting()
    {
        var backoff = Backoff(Policy(backoff: 1, maxBackoff: 60, stableAfter: 30));
        for (var i = 0; i < 4; i++)
        {
            backoff.Decide(Crashed());
        }

        var decision = backoff.Decide(new ProcessExit(1, TimeSpan.FromSeconds(29.9)));

        Assert.Equal(5, backoff.ConsecutiveRestarts);
        Assert.InRange(decision.Delay.TotalSeconds, 16 * 0.8, 16 * 1.2);
    }

    [Fact]
    public void RestartBackoff_MaxRestartsUsedUp_GivesUpWithTheReason()
    {
        var backoff = Backoff(Policy(maxRestarts: 5));
        for (var i = 0; i < 5; i++)
        {
            Assert.True(backoff.Decide(Crashed()).Restart);
        }

        var decision = backoff.Decide(Crashed(3));

        Assert.False(decision.Restart);
        Assert.Null(backoff.NextRestartAt);
        Assert.Equal("exited with code 3 after 5 restarts in a row; not restarting (max_restarts 5)", decision.GaveUpReason);
    }

    [Fact]
    public void RestartBackoff_MaxRestartsUsedUpByLivenessFailures_ReasonNamesTheProbe()
    {
        var backoff = Backoff(Policy(maxRestarts: 1));
        backoff.Decide(new ProcessExit(null, Crash, LivenessFailed: true));

        var decision = backoff.Decide(new ProcessExit(null, Crash, LivenessFailed: true));

        Assert.Equal("its liveness probe failed after 1 restarts in a row; not restarting (max_restarts 1)", decision.GaveUpReason);
    }

    [Fact]
    public void RestartBackoff_StableRunAfterManyRestarts_MaxRestartsCountsAgainFromZero()
    {
        var backoff = Backoff(Policy(maxRestarts: 2, stableAfter: 10));
        backoff.Decide(Crashed());
        backoff.Decide(Crashed());

        var decision = backoff.Decide(new ProcessExit(1, TimeSpan.FromSeconds(10)));

        Assert.True(decision.Restart);
        Assert.Null(decision.GaveUpReason);
    }

    [Fact]
    public void RestartBackoff_MaxRestartsZero_NeverGivesUp()
    {
        var backoff = Backoff(Policy(maxRestarts: 0));

        Assert.All(Enumerable.Range(0, 500).Select(_ => backoff.Decide(Crashed())), d => Assert.True(d.Restart));
    }

    [Theory]
    [InlineData(RestartMode.No, 1, false, false)]
    [InlineData(RestartMode.No, 0, false, false)]
    [InlineData(RestartMode.No, 1, true, false)]
    [InlineData(RestartMode.OnFailure, 1, false, true)]
    [InlineData(RestartMode.OnFailure, 0, false, false)]
    [InlineData(RestartMode.OnFailure, null, false, true)]
    [InlineData(RestartMode.OnFailure, 0, true, true)]
    [InlineData(RestartMode.Always, 0, false, true)]
    [InlineData(RestartMode.Always, 1, false, true)]
    public void RestartBackoff_ExitOnItsOwn_RestartsAsTheModeSays(RestartMode mode, int? exitCode, bool livenessFailed, bool restarts)
    {
        var decision = Backoff(Policy(mode)).Decide(new ProcessExit(exitCode, Crash, LivenessFailed: livenessFailed));

        Assert.Equal(restarts, decision.Restart);
        Assert.Null(decision.GaveUpReason);
    }

    [Theory]
    [InlineData(RestartMode.Always, 0)]
    [InlineData(RestartMode.Always, 1)]
    [InlineData(RestartMode.OnFailure, 1)]
    [InlineData(RestartMode.OnFailure, null)]
    public void RestartBackoff_StopRequested_NeverRestartsAndResetsNothing(RestartMode mode, int? exitCode)
    {
        var backoff = Backoff(Policy(mode, backoff: 1, stableAfter: 30));
        backoff.Decide(Crashed());
        backoff.Decide(Crashed());

        // Even after a run long enough to count as stable: the stop decides, not the uptime.
        var decision = backoff.Decide(new ProcessExit(exitCode, TimeSpan.FromMinutes(5), StopRequested: true));

        Assert.False(decision.Restart);
        Assert.Null(backoff.NextRestartAt);
        Assert.Equal(2, backoff.ConsecutiveRestarts);
    }

    [Fact]
    public void RestartBackoff_RestartDecided_NextRestartAtIsNowPlusTheWait()
    {
        var backoff = Backoff(Policy(backoff: 2));
        _time.Advance(TimeSpan.FromMinutes(7));

        var decision = backoff.Decide(Crashed());

        Assert.Equal(_time.GetUtcNow() + decision.Delay, decision.At);
        Assert.Equal(decision.At, backoff.NextRestartAt);
    }

    [Fact]
    public void RestartBackoff_CancelWhileWaiting_ClearsNextRestartAtButKeepsTheCount()
    {
        var backoff = Backoff(Policy(backoff: 1));
        backoff.Decide(Crashed());
        backoff.Decide(Crashed());

        backoff.Cancel();

        Assert.Null(backoff.NextRestartAt);
        Assert.InRange(backoff.Decide(Crashed()).Delay.TotalSeconds, 4 * 0.8, 4 * 1.2);
    }

    [Fact]
    public void RestartBackoff_ResetAfterGivingUp_RestartsAgainFromBackoff()
    {
        var backoff = Backoff(Policy(backoff: 1, maxRestarts: 1));
        backoff.Decide(Crashed());
        Assert.False(backoff.Decide(Crashed()).Restart);

        backoff.Reset();
        var decision = backoff.Decide(Crashed());

        Assert.True(decision.Restart);
        Assert.InRange(decision.Delay.TotalSeconds, 0.8, 1.2);
    }
}
