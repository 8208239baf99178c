using System.Collections.Immutable;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Logs;
using Brummer.Grains.Logs.Detection;
using Brummer.Grains.Processes.Health;
using Brummer.Grains.Processes.Restarts;
using Brummer.Grains.Status;
using Brummer.Grains.Telemetry;
using CliWrap;
using System.Diagnostics;
using static Brummer.Telemetry.BrummerTelemetry;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Processes;

/// <summary>
/// Owns the lifecycle of one process on this node: starts it as the leader of a new process group and stops the whole
/// group (SIGTERM, then SIGKILL after <see cref="ProcessOptions.StopTimeout"/>). What it prints goes to its
/// <see cref="ProcessOutput"/>; what status shows is published by its <see cref="StatusProjector"/>.
/// Start and stop are serialized by <see cref="_control"/>; the exit watcher runs beside them, and who reports an exit
/// (the watcher, or a stop that asked for it) is decided once, on the <see cref="Run"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2213:Disposable fields should be disposed", Justification = "Lives as long as the node; SemaphoreSlim holds no OS handle unless AvailableWaitHandle is used.")]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "Lives as long as the node; SemaphoreSlim holds no OS handle unless AvailableWaitHandle is used.")]
public sealed class ProcessSupervisor
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    /// <summary>How long a killed group may take to be gone before the supervisor reports it survived.</summary>
    public static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    private readonly StatusProjector _status;
    private readonly ProcessDependencies? _dependencies;
    private readonly ProcessOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ProcessWatchdog? _watchdog;
    private readonly ProcessTelemetry _telemetry;
    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly RunHistory _history = new();
    private readonly Lock _policyGate = new(); // RestartBackoff is not thread-safe: exits and requests both use it
    private ScriptDefinition _script;
    private ProcessProbes _probes;
    private RestartBackoff _backoff;
    private Run? _run;
    private Wait? _wait; // pending (dependencies) or restarting (backoff); written under _control

    public ProcessSupervisor(
        ScriptDefinition script,
        NodeStatusTable table,
        ProcessOptions options,
        TimeProvider time,
        ILogger logger,
        ProcessWatchdog? watchdog = null,
        ProcessDependencies? dependencies = null,
        NodeTelemetry? telemetry = null)
    {
        ArgumentNullException.ThrowIfNull(script);
        ArgumentNullException.ThrowIfNull(table);
        _watchdog = watchdog;
        _dependencies = dependencies;
        _script = script;
        _options = options;
        _time = time;
        _logger = logger;
        Output = new ProcessOutput(options, time);
        _status = new StatusProjector(script.Name, table, Output, options, time);
        _telemetry = new ProcessTelemetry(table.Node, script.Name, Output, telemetry?.Metrics, telemetry?.Logs);
        _probes = new ProcessProbes(AsRunHere(script), time, logger, watchdog);
        _backoff = new RestartBackoff(script.Availability, time);
    }

    public string Name => Definition.Name;

    /// <summary>How it is run; a reload may replace it (<see cref="RedefineAsync"/>).</summary>
    public ScriptDefinition Definition => Volatile.Read(ref _script);

    private string Node => _status.Node;

    /// <summary>What the process printed, across its runs.</summary>
    public ProcessOutput Output { get; }

    /// <summary>Its last runs, oldest first; the one running has its error count so far.</summary>
    public ImmutableArray<RunRecord> History
    {
        get
        {
            var runs = _history.Runs;
            return runs is [.., { Outcome: RunOutcome.Running } last] && last.Run == Output.Run
                ? runs.SetItem(runs.Length - 1, last with { ErrorCount = Output.Analyzer.RunErrorCount })
                : runs;
        }
    }

    /// <summary>The latest published state (null if never run).</summary>
    public ProcessInfo? Current => _status.Current;

    /// <summary>Running, or waiting to start (its dependencies, or a restart's backoff).</summary>
    public bool IsActive => Volatile.Read(ref _run) is not null || Volatile.Read(ref _wait) is not null;

    /// <summary>Status shows <paramref name="action"/> as the last one asked of the process.</summary>
    public void NoteAction(ProcessAction action) => _status.NoteAction(action);

    /// <summary>The claim that holds now, if any (<see cref="ProcessClaim"/>).</summary>
    public ProcessClaim? Claim => _status.ClaimAt(_time.GetUtcNow());

    /// <summary>Sets or (null) clears the claim; returns the view status shows with it, if the process has run.</summary>
    public ProcessInfo? SetClaim(ProcessClaim? claim) => _status.SetClaim(claim);

    /// <summary>Starts the script unless it is running; returns once the OS process exists.</summary>
    public Task<RunResult> StartAsync(CancellationToken cancellationToken = default) => StartAsync(ControlDeadline.None, cancellationToken);

    /// <summary>Starts the script unless it is running, if that can begin by <paramref name="deadline"/>.</summary>
    /// <param name="deadline">When the start must have begun; past it (waiting behind another stop, or arriving late), nothing is done.</param>
    public async Task<RunResult> StartAsync(ControlDeadline deadline, CancellationToken cancellationToken = default)
    {
        await EnterAsync(deadline, cancellationToken).ConfigureAwait(false);
        try
        {
            if (Volatile.Read(ref _wait) is not null || Volatile.Read(ref _run) is not null)
            {
                return new RunResult(Current!, AlreadyRunning: true);
            }

            ResetBackoff(); // asked for by hand: a process that gave up gets its full number of restarts again
            return BeginCore(restart: false, Triggers.Request, CallerContext(), CallerActor());
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>Stops the whole process group; returns once none of it is left. Stopping an idle script changes nothing.</summary>
    public Task<ProcessInfo?> StopAsync(CancellationToken cancellationToken = default) => StopAsync(ControlDeadline.None, cancellationToken);

    public async Task<ProcessInfo?> StopAsync(ControlDeadline deadline, CancellationToken cancellationToken = default)
    {
        await EnterAsync(deadline, cancellationToken).ConfigureAwait(false);
        try
        {
            await StopCoreAsync().ConfigureAwait(false);
            return Current;
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>
    /// Takes the control lock, unless <paramref name="deadline"/> passes first: then throws, having done nothing. The
    /// deadline is checked once more after the lock is taken, so a request that arrived late never acts.
    /// </summary>
    private async Task EnterAsync(ControlDeadline deadline, CancellationToken cancellationToken)
    {
        var remaining = deadline.Remaining(_time.GetUtcNow());
        if (remaining == Timeout.InfiniteTimeSpan)
        {
            await _control.WaitAsync(cancellationToken).ConfigureAwait(false);
            return;
        }

        if (remaining <= TimeSpan.Zero || !await _control.WaitAsync(remaining, cancellationToken).ConfigureAwait(false))
        {
            throw ControlExpired.Exception(Node, Name, _time.GetUtcNow() - deadline.StartBy);
        }

        if (deadline.Remaining(_time.GetUtcNow()) <= TimeSpan.Zero)
        {
            _control.Release();
            throw ControlExpired.Exception(Node, Name, _time.GetUtcNow() - deadline.StartBy);
        }
    }

    /// <summary>Stops the script if it runs, then starts it again with <see cref="ProcessInfo.Restarts"/> one higher.</summary>
    public Task<ProcessInfo> RestartAsync(CancellationToken cancellationToken = default) => RestartAsync(ControlDeadline.None, cancellationToken);

    public async Task<ProcessInfo> RestartAsync(ControlDeadline deadline, CancellationToken cancellationToken = default)
    {
        await EnterAsync(deadline, cancellationToken).ConfigureAwait(false);
        try
        {
            await StopCoreAsync().ConfigureAwait(false);
            ResetBackoff();
            _telemetry.RestartRequested();
            return BeginCore(restart: true, Triggers.Request, CallerContext(), CallerActor()).Process;
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>
    /// Replaces how the process is run (a reload changed its definition). A running process is restarted with the new
    /// definition, unless <paramref name="restart"/> is false: it then takes it at its next start. A waiting one waits
    /// on the new dependencies. Returns true when it was restarted.
    /// </summary>
    public async Task<bool> RedefineAsync(ScriptDefinition script, bool restart = true, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(script);
        await EnterAsync(ControlDeadline.None, cancellationToken).ConfigureAwait(false);
        try
        {
            var probes = new ProcessProbes(AsRunHere(script), _time, _logger, _watchdog);
            Volatile.Write(ref _script, script);
            _probes = probes;
            lock (_policyGate)
            {
                _backoff = new RestartBackoff(script.Availability, _time);
            }

            if (Volatile.Read(ref _run) is null || !restart)
            {
                OnDependenciesChanged();
                return false;
            }

            await StopCoreAsync().ConfigureAwait(false);
            BeginCore(restart: true, Triggers.Reload, CallerContext(), CallerActor());
            return true;
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>
    /// Something a dependency could be changed (here or on another node): a pending process whose dependencies now hold
    /// starts; a running one notes in its status a dependency that no longer holds (it is left running).
    /// </summary>
    public void OnDependenciesChanged()
    {
        var script = Definition;
        if (_dependencies is null || script.DependsOn.IsEmpty)
        {
            return;
        }

        var unmet = _dependencies.Unmet(script.DependsOn);
        var wait = Volatile.Read(ref _wait);
        if (wait is { Kind: ProcessStatus.Pending } && unmet is null)
        {
            // Off the caller: a change wakes a whole level of dependents, and each spawn takes tens of ms; started one
            // after the other, the last of twenty would wait for the nineteen before it.
            _ = Task.Run(() => StartPendingAsync(wait));
            return;
        }

        _status.TryPublish(
            current => current is { Status: ProcessStatus.Pending or ProcessStatus.Running or ProcessStatus.Starting } && current.WaitingFor != unmet,
            current => current! with { WaitingFor = unmet });
    }

    /// <summary>Starts now, or, while a dependency does not hold yet, goes pending until it does. Called under <see cref="_control"/>.</summary>
    /// <param name="trigger">Why it starts (<see cref="Triggers"/>).</param>
    /// <param name="parent">The trace of the request that asked for it (none for a restart by policy).</param>
    /// <param name="actor">Who asked for it (<see cref="ControlActor"/>), for its run's history.</param>
    private RunResult BeginCore(bool restart, string trigger, ActivityContext parent, string actor)
    {
        var script = Definition;
        var unmet = _dependencies is null || script.DependsOn.IsEmpty ? null : _dependencies.Unmet(script.DependsOn);
        if (unmet is null)
        {
            return StartCore(restart, trigger, parent, actor);
        }

        Volatile.Write(ref _wait, new Wait(ProcessStatus.Pending, restart, actor, parent));
        var pending = _status.Publish(current => new ProcessInfo(
            Node, script.Name, ProcessStatus.Pending, null, null, null, null, current?.Restarts ?? 0, null, null, 0, WaitingFor: unmet, Run: current?.Run ?? 0));
        _logger.LogInformation("{Script} on {Node} waits for {Dependency}", script.Name, Node, unmet);
        return new RunResult(pending, AlreadyRunning: false);
    }

    /// <summary>Waits out a restart's backoff, then starts again (unless stopped meanwhile).</summary>
    private async Task RestartLaterAsync(Wait wait, DateTimeOffset at)
    {
        try
        {
            // Timers may fire a little early by the wall clock; status promised "not before" next_restart_at.
            for (var left = at - _time.GetUtcNow(); left > TimeSpan.Zero; left = at - _time.GetUtcNow())
            {
                await Task.Delay(left + TimeSpan.FromMilliseconds(1), _time, wait.Cancelled.Token).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException)
        {
            return;
        }

        await StartPendingAsync(wait).ConfigureAwait(false);
    }

    private async Task StartPendingAsync(Wait wait)
    {
        try
        {
            await _control.WaitAsync(wait.Cancelled.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return; // stopped or redefined meanwhile
        }

        try
        {
            if (Volatile.Read(ref _wait) == wait && !wait.Cancelled.IsCancellationRequested)
            {
                Volatile.Write(ref _wait, null);
                BeginCore(wait.CountsAsRestart, wait.Kind == ProcessStatus.Restarting ? Triggers.Restart : Triggers.Dependencies, wait.Parent, wait.Actor);
            }
        }
        finally
        {
            _control.Release();
        }
    }

    /// <summary>Ends a wait (pending or restarting) on request, reporting the process stopped. Called under <see cref="_control"/>.</summary>
    private void CancelWait()
    {
        var wait = Volatile.Read(ref _wait);
        if (wait is null)
        {
            return;
        }

        Volatile.Write(ref _wait, null);
        wait.Cancelled.Cancel();
        lock (_policyGate)
        {
            _backoff.Cancel();
        }

        _status.Publish(current => current! with { Status = ProcessStatus.Stopped, WaitingFor = null, NextRestartAt = null, ExitedAt = current.ExitedAt ?? _time.GetUtcNow() });
    }

    private RunResult StartCore(bool restart, string trigger, ActivityContext parent, string actor)
    {
        if (Volatile.Read(ref _run) is not null)
        {
            return new RunResult(Current!, AlreadyRunning: true);
        }

        var script = Definition;
        var number = Output.BeginRun();
        var restarts = (Current?.Restarts ?? 0) + (restart ? 1 : 0);
        var starting = _status.Publish(_ => new ProcessInfo(Node, script.Name, ProcessStatus.Starting, null, _time.GetUtcNow(), null, null, restarts, null, null, 0, Run: number));
        _history.Begin(new RunRecord(number, starting.StartedAt ?? _time.GetUtcNow(), null, null, RunOutcome.Running, 0, actor, trigger));
        var (span, startSpan) = _telemetry.RunStarting(script, trigger, restarts, parent);

        var program = ExecutableResolver.Find(script.Executable);
        var setsid = ExecutableResolver.Find("setsid");
        if (program is null || setsid is null)
        {
            var missing = program is null ? script.Executable : "setsid";
            return new RunResult(Fail(number, $"'{missing}' was not found on PATH.", span, startSpan), AlreadyRunning: false);
        }

        var run = new Run(script) { Number = number, StartedAt = starting.StartedAt ?? _time.GetUtcNow(), Span = span };
        var command = Cli.Wrap(setsid)
            .WithArguments(args => args.Add("-w").Add(program).Add(script.Arguments))
            .WithWorkingDirectory(script.WorkingDirectory)
            .WithEnvironmentVariables(env => env.Set(RunEnvironment(script, Node)!))
            .WithStandardOutputPipe(new OutputCapture(_options.LogLineMaxBytes, line => Output.OnLine(LogSource.Stdout, line), Output.OnTruncated))
            .WithStandardErrorPipe(new OutputCapture(_options.LogLineMaxBytes, line => Output.OnLine(LogSource.Stderr, line), Output.OnTruncated))
            .WithValidation(CommandResultValidation.None);

        // The probes watch the output before the process exists: a ready line printed before the spawn has returned
        // here (a fast process, a busy node) would otherwise never reach a log probe, and the process stay "starting".
        var probes = _probes;
        var probeRun = probes.Prepare(report => OnHealth(run, report));
        run.Probes = probeRun;
        Output.Watch((_, line) => probeRun.Observe(line));
        CommandTask<CommandResult> task;
        try
        {
            task = command.ExecuteAsync(run.Abandon.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            Output.Watch(null);
            return new RunResult(Fail(number, $"could not start '{script.Executable}': {ex.Message}", span, startSpan), AlreadyRunning: false);
        }

        run.Pid = task.ProcessId;
        _watchdog?.Track(run.Pid);
        Volatile.Write(ref _run, run);
        var running = _status.Publish(current => current! with { Status = ProcessStatus.Running, Pid = run.Pid, Health = probes.InitialHealth });
        ProcessTelemetry.Started(span, startSpan, run.Pid, ready: probes.InitialHealth == ProcessHealth.None);
        _logger.LogInformation("Started {Script} on {Node} as pid {Pid}", script.Name, Node, run.Pid);
        ProcessTelemetry.Untraced(() =>
        {
            probeRun.Start();
            return WatchAsync(run, task); // Reports the outcome through the table; nobody awaits it.
        });
        return new RunResult(running, AlreadyRunning: false);
    }

    private async Task WatchAsync(Run run, CommandTask<CommandResult> task)
    {
        int? exitCode = null;
        try
        {
            exitCode = (await task.ConfigureAwait(false)).ExitCode;
        }
        catch (OperationCanceledException)
        {
            // Abandoned on shutdown after the group was killed.
        }
        catch (Exception ex)
        {
            _logger.LogWarning(ex, "Watching {Script} failed", Name);
        }

        run.ExitCode = exitCode;
        var exitedOnItsOwn = run.TryClaimExit();
        run.Exited.TrySetResult();
        if (!exitedOnItsOwn)
        {
            return; // StopCoreAsync publishes 'stopped' once the group is gone.
        }

        // The leader ended on its own: take down anything it left behind in its group, then report the outcome.
        await TerminateGroupAsync(run).ConfigureAwait(false);
        await EndProbesAsync(run).ConfigureAwait(false);
        Output.EndRun(); // before the outcome is published, so its error count has the run's last block
        var exitedAt = _time.GetUtcNow();
        RestartDecision decision;
        lock (_policyGate)
        {
            decision = _backoff.Decide(new ProcessExit(exitCode, exitedAt - run.StartedAt, StopRequested: false, run.LivenessFailed));
        }

        var failed = exitCode != 0 || run.LivenessFailed;
        var reason = run.LivenessFailed ? $"liveness probe failed: {run.LivenessReason}" : null;
        EndHistory(run, failed ? RunOutcome.Failed : RunOutcome.Succeeded, exitCode, exitedAt, reason);
        Wait? restartWait = null;
        if (decision.Restart)
        {
            ProcessTelemetry.RestartScheduled(run.Span, decision.Delay);
            // Waiting before it is no longer running, so the process is active throughout and a stop finds the wait.
            var wait = new Wait(ProcessStatus.Restarting, countsAsRestart: true, ControlActor.Policy);
            Volatile.Write(ref _wait, wait);
            _status.Publish(current => current! with
            {
                Status = ProcessStatus.Restarting,
                ExitCode = exitCode,
                ExitedAt = exitedAt,
                NextRestartAt = decision.At,
                Health = ProcessHealth.None,
                Reason = reason,
                LastLine = Output.LastLineOfRun() ?? current.LastLine,
            });
            _logger.LogInformation("{Script} on {Node} exited with code {ExitCode}; restarting in {Delay}", Name, Node, exitCode, decision.Delay);
            restartWait = wait;
        }
        else
        {
            var status = failed ? ProcessStatus.Failed : ProcessStatus.Succeeded;
            _status.Publish(current => current! with
            {
                Status = status,
                ExitCode = exitCode,
                ExitedAt = exitedAt,
                Health = ProcessHealth.None,
                Reason = decision.GaveUpReason ?? reason,
                LastLine = Output.LastLineOfRun() ?? current.LastLine,
            });
        }

        // This run is over before its restart may begin: a restart that still found it would take it for running and
        // start nothing, leaving the process "restarting" for good (seen on a loaded machine, where this thread lost
        // the core for longer than a short backoff).
        Interlocked.CompareExchange(ref _run, null, run);
        _logger.LogInformation("{Script} on {Node} exited with code {ExitCode}", Name, Node, exitCode);
        _telemetry.RunEnded(run.Span, failed ? Outcomes.Failed : Outcomes.Succeeded, exitCode, exitedAt - run.StartedAt, reason ?? decision.GaveUpReason);
        run.Finished.TrySetResult();
        if (restartWait is not null)
        {
            _ = RestartLaterAsync(restartWait, decision.At ?? exitedAt + decision.Delay);
        }
    }

    private async Task StopCoreAsync()
    {
        CancelWait();
        var run = Volatile.Read(ref _run);
        if (run is null)
        {
            return;
        }

        if (run.TryClaimStop())
        {
            using var stop = _telemetry.StopStarting();
            _status.Publish(current => current! with { Status = ProcessStatus.Stopping });
            await TerminateGroupAsync(run).ConfigureAwait(false);
            await EndProbesAsync(run).ConfigureAwait(false);
            Output.EndRun();
            var stopped = _status.Publish(current => current! with { Status = ProcessStatus.Stopped, ExitCode = run.ExitCode, ExitedAt = _time.GetUtcNow(), Health = ProcessHealth.None, LastLine = Output.LastLineOfRun() ?? current.LastLine });
            EndHistory(run, RunOutcome.Stopped, run.ExitCode, stopped.ExitedAt ?? _time.GetUtcNow(), reason: null);
            Volatile.Write(ref _run, null);
            _logger.LogInformation("Stopped {Script} on {Node}", Name, Node);
            _telemetry.RunEnded(run.Span, Outcomes.Stopped, run.ExitCode, (stopped.ExitedAt ?? _time.GetUtcNow()) - run.StartedAt, null);
            run.Finished.TrySetResult();
        }

        await run.Finished.Task.ConfigureAwait(false);

        // It exited on its own just before: the watcher may have scheduled a restart this stop must cancel.
        CancelWait();
    }

    /// <summary>The process's environment: its definition's, plus where it runs (exec probes see the same).</summary>
    private static ImmutableSortedDictionary<string, string> RunEnvironment(ScriptDefinition script, string node) =>
        script.Environment.SetItem("BRUMMER_NODE", node).SetItem("BRUMMER_SCRIPT", script.Name);

    private ScriptDefinition AsRunHere(ScriptDefinition script) => script with { Environment = RunEnvironment(script, Node) };

    private void ResetBackoff()
    {
        lock (_policyGate)
        {
            _backoff.Reset();
        }
    }

    /// <summary>What the probes say of a run, published while it is the one running; a failed liveness probe ends the run.</summary>
    private void OnHealth(Run run, HealthReport report)
    {
        if (Volatile.Read(ref _run) != run)
        {
            return;
        }

        if (_status.TryPublish(current => current is { Status: ProcessStatus.Running } && current.Health != report.Health, current => current! with { Health = report.Health }))
        {
            _telemetry.HealthChanged(run.Span, report.Health);
        }

        if (report.LivenessFailed && run.TryFailLiveness(report.Reason))
        {
            _logger.LogWarning("{Script} on {Node} failed its liveness probe ({Reason}); ending the run", Name, Node, report.Reason);
            // Not a stop: the watcher sees the exit and the restart policy decides what follows.
            _ = TerminateGroupAsync(run);
        }
    }

    private async Task EndProbesAsync(Run run)
    {
        Output.Watch(null);
        if (run.Probes is { } probes)
        {
            await probes.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>The shutdown signal to the group, SIGKILL after the stop timeout; returns when the leader and every member are gone.</summary>
    private async Task TerminateGroupAsync(Run run)
    {
        try
        {
            await TerminateGroupCoreAsync(run).ConfigureAwait(false);
        }
        finally
        {
            _watchdog?.Forget(run.Pid);
        }
    }

    private async Task TerminateGroupCoreAsync(Run run)
    {
        if (IsGone(run))
        {
            return;
        }

        var signal = run.Script.Shutdown?.Signal ?? ProcessGroup.SigTerm;
        var timeout = run.Script.Shutdown?.Timeout ?? _options.StopTimeout;
        ProcessGroup.Signal(run.Pid, signal);
        if (await WaitGoneAsync(run, timeout).ConfigureAwait(false))
        {
            return;
        }

        _logger.LogWarning("{Script} on {Node} ignored signal {Signal} for {Timeout}; sending SIGKILL to its group", Name, Node, signal, timeout);
        ProcessGroup.Signal(run.Pid, ProcessGroup.SigKill);
        if (!await WaitGoneAsync(run, KillGrace).ConfigureAwait(false))
        {
            _logger.LogError("Process group {Pid} of {Script} survived SIGKILL for {Grace}", run.Pid, Name, KillGrace);
        }

        // Pipes held open by an unkillable member must not keep the watcher waiting forever.
        await run.Abandon.CancelAsync().ConfigureAwait(false);
    }

    private async Task<bool> WaitGoneAsync(Run run, TimeSpan timeout)
    {
        var deadline = _time.GetUtcNow() + timeout;
        while (!IsGone(run))
        {
            if (_time.GetUtcNow() >= deadline)
            {
                return false;
            }

            await Task.WhenAny(run.Exited.Task, Task.Delay(PollInterval, _time)).ConfigureAwait(false);
        }

        return true;
    }

    private static bool IsGone(Run run) => run.Exited.Task.IsCompleted && ProcessGroup.IsEmpty(run.Pid);

    private ProcessInfo Fail(int number, string reason, Activity? span, Activity? startSpan)
    {
        _logger.LogWarning("Could not start {Script} on {Node}: {Reason}", Name, Node, reason);
        var failed = _status.Publish(current => current! with { Status = ProcessStatus.Failed, ExitedAt = _time.GetUtcNow(), Reason = reason });
        _history.End(number, r => r with { Outcome = RunOutcome.NotStarted, EndedAt = failed.ExitedAt, Reason = reason });
        _telemetry.RunEnded(span, Outcomes.NotStarted, null, TimeSpan.Zero, reason, startSpan);
        return failed;
    }

    /// <summary>The trace of the call being served (an Orleans grain call, and above it an agent's MCP call).</summary>
    private static ActivityContext CallerContext() => Activity.Current?.Context ?? default;

    /// <summary>Who asked, as the gateway named them in the grain call's request context; the node itself when nobody did.</summary>
    private static string CallerActor() => Orleans.Runtime.RequestContext.Get(ControlActor.Key) as string ?? ControlActor.Node;

    private void EndHistory(Run run, RunOutcome outcome, int? exitCode, DateTimeOffset endedAt, string? reason) =>
        _history.End(run.Number, r => r with
        {
            Outcome = outcome,
            ExitCode = exitCode,
            EndedAt = endedAt,
            ErrorCount = Output.Run == run.Number ? Output.Analyzer.RunErrorCount : r.ErrorCount,
            Reason = reason,
        });

    /// <summary>A start that waits: for dependencies (<see cref="ProcessStatus.Pending"/>) or a restart's backoff (<see cref="ProcessStatus.Restarting"/>).</summary>
    private sealed class Wait(ProcessStatus kind, bool countsAsRestart, string actor, ActivityContext parent = default)
    {
        public ProcessStatus Kind { get; } = kind;

        public bool CountsAsRestart { get; } = countsAsRestart;

        /// <summary>Who the start is for (<see cref="ControlActor.Policy"/> for a restart by policy).</summary>
        public string Actor { get; } = actor;

        /// <summary>The trace of the request the start belongs to (none for a restart by policy).</summary>
        public ActivityContext Parent { get; } = parent;

        public CancellationTokenSource Cancelled { get; } = new();
    }

    /// <summary>One OS process of the script, from start until its group is gone.</summary>
    private sealed class Run(ScriptDefinition script)
    {
        private int _livenessFailed;

        /// <summary>The definition it was started with (a reload may have replaced the supervisor's since).</summary>
        public ScriptDefinition Script { get; } = script;

        public DateTimeOffset StartedAt { get; set; }

        /// <summary>Its number (<see cref="ProcessOutput.Run"/>).</summary>
        public int Number { get; init; }

        /// <summary>Its <c>process.run</c> span (null when nobody listens).</summary>
        public Activity? Span { get; init; }

        public ProbeRun? Probes { get; set; }

        /// <summary>Its liveness probe failed and ended it: an exit the restart policy counts as a failure.</summary>
        public bool LivenessFailed => Volatile.Read(ref _livenessFailed) == 1;

        public string? LivenessReason { get; private set; }

        public bool TryFailLiveness(string reason)
        {
            LivenessReason = reason;
            return Interlocked.Exchange(ref _livenessFailed, 1) == 0;
        }

        private const int Live = 0;
        private const int StopClaimed = 1;
        private const int ExitClaimed = 2;
        private int _ending;

        public int Pid { get; set; }

        public int? ExitCode { get; set; }

        public CancellationTokenSource Abandon { get; } = new();

        public TaskCompletionSource Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>A stop asked for this run's end first: it reports 'stopped'.</summary>
        public bool TryClaimStop() => Interlocked.CompareExchange(ref _ending, StopClaimed, Live) == Live;

        /// <summary>The process ended before anyone asked: the watcher reports how it exited.</summary>
        public bool TryClaimExit() => Interlocked.CompareExchange(ref _ending, ExitClaimed, Live) == Live;
    }
}
