using Brummer.Grains.Discovery;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brummer.Grains.Processes.Health;

public enum ProbeKind
{
    Readiness,
    Liveness,
}

/// <summary>A probe changed its mind: it now passes (<paramref name="Passing"/>) or fails past its threshold.</summary>
/// <param name="Reason">The outcome of the check that tipped it, e.g. <c>GET http://127.0.0.1:3000/ answered 503</c>.</param>
public sealed record ProbeVerdict(ProbeKind Kind, bool Passing, string Reason, DateTimeOffset At);

/// <summary>
/// Runs one probe for one run of a process: waits <see cref="ProbeDefinition.InitialDelay"/>, then checks every
/// <see cref="ProbeDefinition.Period"/> (start to start; never two at once), each check bounded by
/// <see cref="ProbeDefinition.Timeout"/>, and reports through the callback when the verdict changes:
/// <list type="bullet">
/// <item>readiness starts undecided ("starting"): <see cref="ProbeDefinition.SuccessThreshold"/> passes in a row make it
/// passing (ready); once passing, <see cref="ProbeDefinition.FailureThreshold"/> failures in a row make it failing
/// (unhealthy), and as many passes make it passing again. Failures before the first pass change nothing.</item>
/// <item>liveness starts passing: <see cref="ProbeDefinition.FailureThreshold"/> failures in a row make it failing
/// (restart it if the policy allows), <see cref="ProbeDefinition.SuccessThreshold"/> passes passing again.
/// <see cref="ProbeRun"/> starts it once the run is first ready when there is a readiness probe.</item>
/// </list>
/// A check that throws counts as a failure with its message. The callback runs on the loop's task, one call at a
/// time, never after <see cref="DisposeAsync"/> has completed; it must not block on this loop's disposal.
/// </summary>
public sealed class ProbeLoop : IAsyncDisposable
{
    private readonly ProbeKind _kind;
    private readonly ProbeDefinition _definition;
    private readonly IProbeCheck _check;
    private readonly TimeProvider _time;
    private readonly Action<ProbeVerdict> _onVerdict;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private Task _loop = Task.CompletedTask;
    private const int StateUndecided = -1;
    private const int StateFailing = 0;
    private const int StatePassing = 1;
    private int _state; // StateUndecided: readiness before its first success
    private int _passes;
    private int _failures;
    private ProbeOutcome? _lastOutcome;
    private int _started;
    private int _disposed;

    public ProbeLoop(ProbeKind kind, ProbeDefinition definition, IProbeCheck check, TimeProvider time, Action<ProbeVerdict> onVerdict, ILogger? logger = null)
    {
        // Zero would spin; the definition's parser gives users the error, this is the last line of defence.
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(definition.Period, TimeSpan.Zero, nameof(definition));
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(definition.Timeout, TimeSpan.Zero, nameof(definition));
        ArgumentOutOfRangeException.ThrowIfLessThan(definition.InitialDelay, TimeSpan.Zero, nameof(definition));
        ArgumentOutOfRangeException.ThrowIfLessThan(definition.SuccessThreshold, 1, nameof(definition));
        ArgumentOutOfRangeException.ThrowIfLessThan(definition.FailureThreshold, 1, nameof(definition));
        _kind = kind;
        _definition = definition;
        _check = check;
        _time = time;
        _onVerdict = onVerdict;
        _logger = logger ?? NullLogger.Instance;
        _state = kind == ProbeKind.Liveness ? StatePassing : StateUndecided;
    }

    public ProbeKind Kind => _kind;

    internal IProbeCheck Check => _check;

    /// <summary>Null before a verdict (readiness still starting); otherwise whether it passes.</summary>
    public bool? Passing => Volatile.Read(ref _state) switch { StateUndecided => null, var state => state == StatePassing };

    /// <summary>What the latest check found (null before the first): e.g. why a process is still starting.</summary>
    public ProbeOutcome? LastOutcome => Volatile.Read(ref _lastOutcome);

    /// <summary>Starts checking on the thread pool (never on the caller's thread: an exec check spawns a process).</summary>
    public void Start()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        if (Interlocked.Exchange(ref _started, 1) != 0)
        {
            throw new InvalidOperationException("A probe loop runs once; start a new one for a new run.");
        }

        _loop = Task.Run(() => RunAsync(_stop.Token));
    }

    private async Task RunAsync(CancellationToken stop)
    {
        try
        {
            if (_definition.InitialDelay > TimeSpan.Zero)
            {
                await Task.Delay(_definition.InitialDelay, _time, stop).ConfigureAwait(false);
            }

            var signal = (_check as ISignalingProbeCheck)?.Signaled;
            while (!stop.IsCancellationRequested)
            {
                var started = _time.GetUtcNow();
                // Used once: a check made after the signal has seen what it announced. One that came during this
                // check ends the wait below at once instead.
                var signalSeen = signal is { IsCompleted: true };
                var outcome = await CheckOnceAsync(stop).ConfigureAwait(false);
                if (stop.IsCancellationRequested)
                {
                    return;
                }

                Apply(outcome);
                if (signalSeen)
                {
                    signal = null;
                }

                var wait = _definition.Period - (_time.GetUtcNow() - started);
                if (signal is not null)
                {
                    await WaitAsync(wait, signal, stop).ConfigureAwait(false);
                }
                else if (wait > TimeSpan.Zero)
                {
                    await Task.Delay(wait, _time, stop).ConfigureAwait(false);
                }

                // A check that took a whole period or more is followed at once: still one at a time, and never a spin,
                // since each round took at least the period.
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // Disposed: the run is over.
        }
    }

    /// <summary>Waits out the period, or less when the check signals its answer changed (a log line matched).</summary>
    private async Task WaitAsync(TimeSpan wait, Task signal, CancellationToken stop)
    {
        if (wait <= TimeSpan.Zero)
        {
            return;
        }

        using var period = CancellationTokenSource.CreateLinkedTokenSource(stop);
        var delay = Task.Delay(wait, _time, period.Token);
        await Task.WhenAny(delay, signal).ConfigureAwait(false);
        await period.CancelAsync().ConfigureAwait(false); // release the timer when the signal came first
        stop.ThrowIfCancellationRequested();
    }

    private async Task<ProbeOutcome> CheckOnceAsync(CancellationToken stop)
    {
        using var timeout = new CancellationTokenSource(_definition.Timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(stop, timeout.Token);
        try
        {
            return await _check.CheckAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            throw;
        }
        catch (OperationCanceledException) when (timeout.IsCancellationRequested)
        {
            return ProbeOutcome.Fail($"{_check.Description} timed out after {ProbeText.Seconds(_definition.Timeout)}");
        }
        catch (Exception ex)
        {
            return ProbeOutcome.Fail($"{_check.Description} failed: {ex.Message}");
        }
    }

    private void Apply(ProbeOutcome outcome)
    {
        Volatile.Write(ref _lastOutcome, outcome);
        var next = _state;
        if (outcome.Passed)
        {
            _failures = 0;
            if (++_passes >= _definition.SuccessThreshold)
            {
                next = StatePassing;
            }
        }
        else
        {
            _passes = 0;
            // Before readiness first passes, failures are just "still starting".
            if (++_failures >= _definition.FailureThreshold && _state == StatePassing)
            {
                next = StateFailing;
            }
        }

        if (next == _state)
        {
            return;
        }

        Volatile.Write(ref _state, next);
        try
        {
            _onVerdict(new ProbeVerdict(_kind, next == StatePassing, outcome.Reason, _time.GetUtcNow()));
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Handling a {Kind} probe verdict failed", _kind);
        }
    }

    /// <summary>Stops checking: cancels an ongoing check (an exec probe's group is killed) and returns once the loop has ended; no verdict follows.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            await _loop.ConfigureAwait(false);
            return;
        }

        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(false);
        _stop.Dispose();
    }
}
