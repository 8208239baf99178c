using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using Brummer.Gateway.Status;
using Brummer.Gateway.Traffic;
using Brummer.Grains.Abstractions;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;

namespace Brummer.Gateway.Waiting;

/// <summary>
/// Waits for a process to reach a state, behind <c>wait_for</c>, <c>scripts_run</c> with <c>wait</c> and their JSON
/// routes. Driven by the gateway's change feed (<see cref="ClusterStatusCache.WhenChanged"/>): a waiter sleeps until
/// a new view is published, judges it if its node's part changed, and answers as soon as the condition holds — no
/// polling, no grain call. It answers at once with an error when the condition can no longer hold (the process
/// failed for good, the node is lost), and at the timeout with what the process is doing and waits for.
/// </summary>
public sealed class WaitService(ClusterStatusCache cache, ClusterTargets targets, IHttpContextAccessor http, IHostApplicationLifetime lifetime, TimeProvider time)
{
    private const string NameIsRequired = "the script to wait for (see scripts_list)";

    /// <summary>
    /// How often a wait that reports progress says how it stands even when nothing changed: often enough for a client
    /// that resets its request timeout on progress (the TypeScript SDK's default timeout is 60 s).
    /// </summary>
    public static readonly TimeSpan ProgressInterval = TimeSpan.FromSeconds(10);

    private int _waiting;

    /// <summary>Waits in progress now (each parked on the change feed).</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    public async Task<WaitResult> WaitAsync(
        string? name, string? node, WaitCondition condition, TimeSpan timeout, CancellationToken cancellationToken, IProgress<WaitProgress>? progress = null)
    {
        var target = targets.Script(Arguments.RequiredName(name, "name", NameIsRequired), Arguments.OptionalName(node, "node"));
        var (process, waited) = await UntilAsync(target.Node.Name, target.Script, condition, timeout, started: null, progress, cancellationToken);
        return new WaitResult(process.ToDto(), condition.ToWireName(), (long)waited.TotalMilliseconds);
    }

    /// <summary>
    /// How long a run waits after it started, checked before it starts: <paramref name="seconds"/> (the caller's
    /// <paramref name="argument"/>) only means something with a condition to wait for.
    /// </summary>
    public static TimeSpan? RunTimeout(WaitCondition? wait, int? seconds, string argument) => wait is null
        ? seconds is null ? null : throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' applies only with 'wait' (ready or running): it bounds the wait after the start.")
        : Arguments.WaitTimeout(seconds, argument);

    /// <summary>
    /// A run on request that may then wait (<c>wait</c>: ready or running) for the process to serve. The wait's
    /// arguments are checked before anything starts; <paramref name="timeoutArgument"/> names the caller's timeout.
    /// </summary>
    public async Task<RunScriptResult> RunAsync(
        ScriptsService scripts, string? name, string? node, string? wait, int? timeoutSeconds, string timeoutArgument, CancellationToken cancellationToken, IProgress<WaitProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(scripts);
        var condition = WaitConditions.ParseForRun(wait, "wait");
        var timeout = RunTimeout(condition, timeoutSeconds, timeoutArgument);
        var run = await scripts.RunAsync(name, node, cancellationToken);
        return condition is null ? run : await AfterRunAsync(run, condition.Value, timeout!.Value, cancellationToken, progress);
    }

    /// <summary>
    /// A restart on request that may then wait (<c>wait</c>: ready or running) for the new run to serve: what an agent
    /// does after a fix, in one call. The wait's arguments are checked before anything is stopped.
    /// </summary>
    public async Task<ProcessResult> RestartAsync(
        ScriptsService scripts, string? name, string? node, string? wait, int? timeoutSeconds, string timeoutArgument, CancellationToken cancellationToken, IProgress<WaitProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(scripts);
        var condition = WaitConditions.ParseForRun(wait, "wait");
        var timeout = RunTimeout(condition, timeoutSeconds, timeoutArgument);
        var restart = await scripts.RestartAsync(name, node, cancellationToken);
        if (condition is null)
        {
            return restart;
        }

        LanePermit.ReleaseFor(http.HttpContext);
        var (process, _) = await UntilAsync(restart.Process.Node, restart.Process.Name, condition.Value, timeout!.Value, $"was restarted{Pid(restart.Process.Pid)}", progress, cancellationToken);
        return restart with { Process = process.ToDto() };
    }

    /// <summary>
    /// After a run (an operate action, in the control lane): gives the control lane its permit back, then waits for the
    /// started process to be running or ready. The answer is the run's, with the process as it was when ready.
    /// </summary>
    public async Task<RunScriptResult> AfterRunAsync(
        RunScriptResult run, WaitCondition wait, TimeSpan timeout, CancellationToken cancellationToken, IProgress<WaitProgress>? progress = null)
    {
        ArgumentNullException.ThrowIfNull(run);
        LanePermit.ReleaseFor(http.HttpContext);
        var started = run.AlreadyRunning
            ? $"was already running{Pid(run.Process.Pid)}"
            : $"was started{Pid(run.Process.Pid)}";
        var (process, _) = await UntilAsync(run.Process.Node, run.Process.Name, wait, timeout, started, progress, cancellationToken);
        return run with { Process = process.ToDto() };
    }

    private async Task<(ProcessInfo Process, TimeSpan Waited)> UntilAsync(
        string node, string name, WaitCondition condition, TimeSpan timeout, string? started, IProgress<WaitProgress>? progress, CancellationToken cancellationToken)
    {
        var begun = time.GetTimestamp();
        using var deadline = new CancellationTokenSource(timeout, time);
        // The gateway stopping ends every wait at once: a parked wait would otherwise hold up the shutdown (Ctrl+C) for as
        // long as the host lets requests finish.
        var stopping = lifetime.ApplicationStopping;
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(deadline.Token, cancellationToken, stopping);
        Interlocked.Increment(ref _waiting);
        try
        {
            NodeView? judged = null;
            string? reported = null;
            var heartbeat = false;
            var expired = false;
            while (true)
            {
                // The signal before the view: a change published after this read completes it.
                var changed = cache.WhenChanged();
                var view = ClusterTargets.RequireNode(cache.Current, node);
                var now = time.GetUtcNow();
                var process = Find(view, name);
                if (!ReferenceEquals(view, judged))
                {
                    // Only a change of this node's part can change the answer; other nodes' changes are skipped unjudged.
                    judged = view;
                    switch (condition.Judge(process, view.State(now)))
                    {
                        case WaitOutcome.Met:
                            return (process!, time.GetElapsedTime(begun));
                        case WaitOutcome.Impossible:
                            throw WaitMessages.Impossible(view, name, process, condition, started);
                    }
                }

                if (progress is not null)
                {
                    // Said when the process's state changes, and at every heartbeat (so a client's request timeout resets).
                    var standing = WaitMessages.Progress(view, name, process, condition);
                    if (heartbeat || !string.Equals(standing, reported, StringComparison.Ordinal))
                    {
                        reported = standing;
                        progress.Report(new WaitProgress(time.GetElapsedTime(begun), timeout, standing));
                    }

                    heartbeat = false;
                }

                if (expired)
                {
                    throw WaitMessages.TimedOut(view, name, process, condition, timeout, started, now);
                }

                try
                {
                    if (progress is null)
                    {
                        await changed.WaitAsync(giveUp.Token);
                    }
                    else
                    {
                        await changed.WaitAsync(ProgressInterval, time, giveUp.Token);
                    }
                }
                catch (TimeoutException)
                {
                    heartbeat = true;
                }
                catch (OperationCanceledException) when (stopping.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    throw WaitMessages.Stopping(view, name, condition, started);
                }
                catch (OperationCanceledException) when (deadline.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
                {
                    expired = true; // One last look: a change that landed as the time ran out still counts.
                }
            }
        }
        finally
        {
            Interlocked.Decrement(ref _waiting);
        }
    }

    private static ProcessInfo? Find(NodeView node, string name)
    {
        foreach (var process in node.Processes)
        {
            if (string.Equals(process.Name, name, StringComparison.Ordinal))
            {
                return process;
            }
        }

        return null;
    }

    private static string Pid(int? pid) => pid is { } value ? $" (pid {value})" : string.Empty;
}

/// <summary>How a wait stands while it lasts: how long it has waited of how long it may, and the process's state in words.</summary>
public readonly record struct WaitProgress(TimeSpan Waited, TimeSpan Timeout, string Message);
