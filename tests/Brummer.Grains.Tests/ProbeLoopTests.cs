using System.Threading.Channels;
using Brummer.Grains.Discovery;
using Brummer.Grains.Processes.Health;

namespace Brummer.Grains.Tests;

/// <summary>
/// A probe's schedule and thresholds on a clock the test moves: initial delay, period, timeout, success and failure
/// thresholds, readiness vs liveness verdicts, checks that throw or hang, and stopping. The check is scripted (this is
/// the loop's logic); the real checks are in <see cref="ProbeCheckTests"/>.
/// </summary>
public sealed class ProbeLoopTests : IAsyncDisposable
{
    // Distinct values, so the test can tell the loop's timers apart: the check's timeout from the wait before the next.
    private static readonly TimeSpan InitialDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Period = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);

    private readonly WatchedClock _time = new();
    private readonly Channel<ProbeVerdict> _verdicts = Channel.CreateUnbounded<ProbeVerdict>();
    private readonly List<ProbeVerdict> _seen = [];
    private ProbeLoop? _loop;
    private TimeSpan? _pendingWait; // the wait the loop is in, once RunChecksAsync has seen it start

    private static ProbeDefinition Probe(int success = 1, int failure = 3, TimeSpan? initialDelay = null, ProbeCheck? check = null) =>
        new(check ?? new ExecCheck("scripted"))
        {
            InitialDelay = initialDelay ?? InitialDelay,
            Period = Period,
            Timeout = Timeout,
            SuccessThreshold = success,
            FailureThreshold = failure,
        };

    private ProbeLoop Start(ProbeKind kind, ProbeDefinition probe, IProbeCheck check)
    {
        _loop = new ProbeLoop(kind, probe, check, _time, v =>
        {
            lock (_seen)
            {
                _seen.Add(v);
            }

            _verdicts.Writer.TryWrite(v);
        });
        _loop.Start();
        return _loop;
    }

    private ProbeVerdict[] Seen()
    {
        lock (_seen)
        {
            return [.. _seen];
        }
    }

    /// <summary>Lets the loop make <paramref name="checks"/> more checks, then waits until it is idle again (the last one applied).</summary>
    private async Task RunChecksAsync(int checks)
    {
        for (var i = 0; i < checks; i++)
        {
            var wait = _pendingWait ?? await _time.NextWaitAsync(Timeout);
            _pendingWait = null;
            _time.Advance(wait);
        }

        _pendingWait = await _time.NextWaitAsync(Timeout);
    }

    [Fact]
    public async Task ProbeLoop_BeforeInitialDelay_DoesNotCheck()
    {
        var check = new ScriptedCheck(Step.Pass("up"));
        Start(ProbeKind.Readiness, Probe(), check);

        Assert.Equal(InitialDelay, await _time.NextWaitAsync(Timeout));
        _time.Advance(InitialDelay - TimeSpan.FromMilliseconds(1));
        Assert.Equal(0, check.Calls); // the delay's timer has not fired: the loop cannot have moved

        _time.Advance(TimeSpan.FromMilliseconds(1));
        await check.CalledAsync(1);
        Assert.Equal(Period, await _time.NextWaitAsync(Timeout)); // then one period until the next
    }

    [Fact]
    public async Task ProbeLoop_Readiness_ReadyAfterSuccessThresholdPassesInARow()
    {
        var check = new ScriptedCheck(Step.Pass("p1"), Step.Fail("f1"), Step.Pass("p2"), Step.Pass("p3"));
        var loop = Start(ProbeKind.Readiness, Probe(success: 2), check);

        await RunChecksAsync(3);
        Assert.Empty(Seen()); // a pass, a failure, a pass: never two in a row
        Assert.Null(loop.Passing);

        await RunChecksAsync(1);
        var verdict = Assert.Single(Seen());
        Assert.Equal((ProbeKind.Readiness, true, "p3"), (verdict.Kind, verdict.Passing, verdict.Reason));
        Assert.Equal(_time.GetUtcNow(), verdict.At);
        Assert.True(loop.Passing);
    }

    [Fact]
    public async Task ProbeLoop_ReadinessFailingFromTheStart_StaysStartingWithTheLastReason()
    {
        var check = new ScriptedCheck(Step.Fail("f1"), Step.Fail("f2"), Step.Fail("f3"), Step.Fail("f4"), Step.Fail("f5"));
        var loop = Start(ProbeKind.Readiness, Probe(failure: 2), check);

        await RunChecksAsync(5);

        Assert.Empty(Seen());
        Assert.Null(loop.Passing);
        Assert.Equal(ProbeOutcome.Fail("f5"), loop.LastOutcome);
    }

    [Fact]
    public async Task ProbeLoop_ReadyProcessFailsFailureThresholdInARow_UnhealthyThenReadyAgain()
    {
        var check = new ScriptedCheck(
            Step.Pass("p1"), Step.Pass("p2"),
            Step.Fail("f1"), Step.Fail("f2"), Step.Pass("p3"), // two failures, then a pass starts the count again
            Step.Fail("f3"), Step.Fail("f4"), Step.Fail("f5"),
            Step.Fail("f6"), Step.Pass("p4"),
            Step.Pass("p5"));
        Start(ProbeKind.Readiness, Probe(success: 2, failure: 3), check);

        await RunChecksAsync(11);

        Assert.Equal(
            [(true, "p2"), (false, "f5"), (true, "p5")],
            Seen().Select(v => (v.Passing, v.Reason)));
    }

    [Fact]
    public async Task ProbeLoop_ReadyAtOnceWithSuccessThresholdOne_ThenUnhealthyAtTheThirdFailure()
    {
        var check = new ScriptedCheck(Step.Pass("p1"), Step.Fail("f1"), Step.Fail("f2"), Step.Fail("f3"));
        Start(ProbeKind.Readiness, Probe(success: 1, failure: 3), check);

        await RunChecksAsync(1);
        Assert.Equal([(true, "p1")], Seen().Select(v => (v.Passing, v.Reason)));

        await RunChecksAsync(2);
        Assert.Single(Seen());

        await RunChecksAsync(1);
        Assert.Equal([(true, "p1"), (false, "f3")], Seen().Select(v => (v.Passing, v.Reason)));
    }

    [Fact]
    public async Task ProbeLoop_LivenessFailsFailureThresholdInARow_ReportsFailedOnceThenPassingAgain()
    {
        var check = new ScriptedCheck(Step.Fail("f1"), Step.Fail("f2"), Step.Fail("f3"), Step.Fail("f4"), Step.Fail("f5"), Step.Pass("p1"));
        var loop = Start(ProbeKind.Liveness, Probe(failure: 3), check);
        Assert.True(loop.Passing); // alive until proven otherwise

        await RunChecksAsync(6);

        Assert.Equal(
            [(ProbeKind.Liveness, false, "f3"), (ProbeKind.Liveness, true, "p1")],
            Seen().Select(v => (v.Kind, v.Passing, v.Reason)));
    }

    [Fact]
    public async Task ProbeLoop_CheckThrows_CountsAsFailureWithItsMessageAndKeepsChecking()
    {
        var check = new ScriptedCheck(Step.Throw("disk on fire"), Step.Pass("p1"));
        Start(ProbeKind.Liveness, Probe(failure: 1), check);

        await RunChecksAsync(2);

        Assert.Equal(
            [(false, "scripted check failed: disk on fire"), (true, "p1")],
            Seen().Select(v => (v.Passing, v.Reason)));
    }

    [Fact]
    public async Task ProbeLoop_CheckOutlastsTimeout_IsCancelledAndFailsAsTimedOut()
    {
        var check = new ScriptedCheck(Step.Hang, Step.Pass("p1"));
        Start(ProbeKind.Liveness, Probe(failure: 1), check);
        _time.Advance(await _time.NextWaitAsync(Timeout));
        await check.CalledAsync(1);

        _time.Advance(Timeout - TimeSpan.FromMilliseconds(1));
        Assert.Empty(Seen());
        _time.Advance(TimeSpan.FromMilliseconds(1));

        var verdict = await _verdicts.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal((false, "scripted check timed out after 3 s"), (verdict.Passing, verdict.Reason));
        Assert.True(check.SawCancellation);
        // Periods are measured start to start: the next check is due one period after the timed-out one began.
        Assert.Equal(Period - Timeout, await _time.NextWaitAsync(Timeout));
    }

    [Fact]
    public async Task ProbeLoop_CheckLongerThanSeveralPeriods_NeverOverlapsAndNextFollowsAtOnce()
    {
        var release = new TaskCompletionSource<ProbeOutcome>(TaskCreationOptions.RunContinuationsAsynchronously);
        var check = new ScriptedCheck(Step.Await(release.Task), Step.Pass("p2"));
        Start(ProbeKind.Readiness, Probe(), check);
        _time.Advance(await _time.NextWaitAsync(Timeout));
        await check.CalledAsync(1);

        for (var i = 0; i < 5; i++)
        {
            _time.Advance(Period); // periods go by (the timeout too: this check ignores it)
        }

        Assert.Equal(1, check.Calls);
        release.SetResult(ProbeOutcome.Fail("slow"));

        await check.CalledAsync(2); // overdue: follows at once, without the clock moving
        Assert.Equal(1, check.MaxInFlight);
        Assert.Equal(Period, await _time.NextWaitAsync(Timeout));
    }

    [Fact]
    public async Task ProbeLoop_DisposedDuringCheck_CancelsItAndNothingFollows()
    {
        var check = new ScriptedCheck(Step.Hang, Step.Fail("never"));
        var loop = Start(ProbeKind.Liveness, Probe(failure: 1), check);
        _time.Advance(await _time.NextWaitAsync(Timeout));
        await check.CalledAsync(1);

        await loop.DisposeAsync().AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.True(check.SawCancellation);
        _time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(1, check.Calls);
        Assert.Empty(Seen());
    }

    [Fact]
    public async Task ProbeLoop_DisposedWhileWaiting_NeverChecksAgain()
    {
        var check = new ScriptedCheck(Step.Fail("f1"));
        var loop = Start(ProbeKind.Liveness, Probe(failure: 2), check);
        await RunChecksAsync(1);

        await loop.DisposeAsync().AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken);
        _time.Advance(TimeSpan.FromHours(1));

        Assert.Equal(1, check.Calls);
        Assert.Empty(Seen());
    }

    [Fact]
    public async Task ProbeLoop_CallbackThrows_KeepsChecking()
    {
        var check = new ScriptedCheck(Step.Fail("f1"), Step.Pass("p1"), Step.Fail("f2"));
        var calls = 0;
        _loop = new ProbeLoop(ProbeKind.Liveness, Probe(failure: 1), check, _time, _ =>
        {
            Interlocked.Increment(ref calls);
            throw new InvalidOperationException("the supervisor had a bad day");
        });
        _loop.Start();

        await RunChecksAsync(3);

        Assert.Equal(3, Volatile.Read(ref calls));
    }

    [Fact]
    public async Task ProbeLoop_LogLineMatchesMidPeriod_ReadyWithoutWaitingOutThePeriod()
    {
        var check = new LogProbeCheck(LogProbeCheck.Compile("listening on"));
        Start(ProbeKind.Readiness, Probe(initialDelay: TimeSpan.Zero, check: new LogCheck("listening on")), check);
        Assert.Equal(Period, await _time.NextWaitAsync(Timeout)); // checked once (no line yet), now waiting
        check.Observe("compiling...");

        check.Observe("server listening on :3000");

        var verdict = await _verdicts.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal((true, "printed a line matching /listening on/"), (verdict.Passing, verdict.Reason));
        Assert.Equal(_time.Start, _time.GetUtcNow()); // the clock never moved
        // The signal is used once: afterwards it waits out whole periods again instead of spinning.
        Assert.Equal(Period, await _time.NextWaitAsync(Timeout));
    }

    [Fact]
    public async Task ProbeLoop_SignalArrivesDuringACheck_ChecksAgainAtOnce()
    {
        var check = new SignalDuringFirstCheck();
        Start(ProbeKind.Readiness, Probe(initialDelay: TimeSpan.Zero), check);

        // The first check answered "not yet" while the line it waits for arrived: no period to wait out.
        var verdict = await _verdicts.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken);

        Assert.Equal((true, "matched"), (verdict.Passing, verdict.Reason));
        Assert.Equal(_time.Start, _time.GetUtcNow());
        Assert.Equal(Period, await _time.NextWaitAsync(Timeout));
        Assert.Equal(2, check.Calls);
    }

    [Theory]
    [InlineData(0, 1000, 1, 1)]
    [InlineData(-1, 1000, 1, 1)]
    [InlineData(1000, 0, 1, 1)]
    [InlineData(1000, 1000, 0, 1)]
    [InlineData(1000, 1000, 1, 0)]
    public void ProbeLoop_PeriodTimeoutOrThresholdNotPositive_IsRefused(int periodMs, int timeoutMs, int success, int failure)
    {
        var probe = new ProbeDefinition(new ExecCheck("true"))
        {
            Period = TimeSpan.FromMilliseconds(periodMs),
            Timeout = TimeSpan.FromMilliseconds(timeoutMs),
            SuccessThreshold = success,
            FailureThreshold = failure,
        };

        Assert.Throws<ArgumentOutOfRangeException>(() => new ProbeLoop(ProbeKind.Readiness, probe, new ScriptedCheck(Step.Pass("p")), _time, _ => { }));
    }

    public async ValueTask DisposeAsync()
    {
        if (_loop is not null)
        {
            await _loop.DisposeAsync();
        }
    }

    /// <summary>Like a log check whose line is printed while it is being checked: signals during the first call, passes from the second.</summary>
    private sealed class SignalDuringFirstCheck : ISignalingProbeCheck
    {
        private readonly TaskCompletionSource _signaled = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _calls;

        public string Description => "signalling check";

        public Task Signaled => _signaled.Task;

        public int Calls => Volatile.Read(ref _calls);

        public ValueTask<ProbeOutcome> CheckAsync(CancellationToken cancellationToken)
        {
            if (Interlocked.Increment(ref _calls) == 1)
            {
                _signaled.SetResult();
                return ValueTask.FromResult(ProbeOutcome.Fail("not yet"));
            }

            return ValueTask.FromResult(ProbeOutcome.Pass("matched"));
        }
    }

    private abstract record Step
    {
        public static Step Hang { get; } = new HangStep();

        public static Answer Pass(string reason) => new Answer(ProbeOutcome.Pass(reason));

        public static Answer Fail(string reason) => new Answer(ProbeOutcome.Fail(reason));

        public static ThrowStep Throw(string message) => new ThrowStep(message);

        public static AwaitStep Await(Task<ProbeOutcome> outcome) => new AwaitStep(outcome);
    }

    private sealed record Answer(ProbeOutcome Outcome) : Step;

    private sealed record ThrowStep(string Message) : Step;

    /// <summary>Never answers; ends only when its token is cancelled.</summary>
    private sealed record HangStep : Step;

    /// <summary>Answers when the task completes, ignoring its token (a badly behaved check).</summary>
    private sealed record AwaitStep(Task<ProbeOutcome> Outcome) : Step;

    /// <summary>Answers as scripted, one step per call (the last step repeats), and counts calls and overlaps.</summary>
    private sealed class ScriptedCheck(params Step[] steps) : IProbeCheck
    {
        private readonly Channel<int> _calls = Channel.CreateUnbounded<int>();
        private int _count;
        private int _inFlight;
        private int _maxInFlight;
        private int _sawCancellation;

        public string Description => "scripted check";

        public int Calls => Volatile.Read(ref _count);

        public int MaxInFlight => Volatile.Read(ref _maxInFlight);

        public bool SawCancellation => Volatile.Read(ref _sawCancellation) == 1;

        public async Task CalledAsync(int calls)
        {
            using var patience = new CancellationTokenSource(Patience);
            while (await _calls.Reader.ReadAsync(patience.Token) < calls)
            {
            }
        }

        public async ValueTask<ProbeOutcome> CheckAsync(CancellationToken cancellationToken)
        {
            var call = Interlocked.Increment(ref _count);
            var inFlight = Interlocked.Increment(ref _inFlight);
            InterlockedMax(ref _maxInFlight, inFlight);
            _calls.Writer.TryWrite(call);
            try
            {
                switch (steps[Math.Min(call, steps.Length) - 1])
                {
                    case Answer answer:
                        return answer.Outcome;
                    case ThrowStep thrown:
                        throw new InvalidOperationException(thrown.Message);
                    case AwaitStep awaited:
                        return await awaited.Outcome;
                    default:
                        try
                        {
                            await Task.Delay(System.Threading.Timeout.Infinite, cancellationToken);
                        }
                        catch (OperationCanceledException)
                        {
                            Volatile.Write(ref _sawCancellation, 1);
                            throw;
                        }

                        throw new InvalidOperationException("unreachable");
                }
            }
            finally
            {
                Interlocked.Decrement(ref _inFlight);
            }
        }

        private static void InterlockedMax(ref int target, int value)
        {
            int seen;
            while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
            {
            }
        }
    }
}
