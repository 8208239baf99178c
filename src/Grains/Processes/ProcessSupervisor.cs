using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Logs;
using Brummer.Grains.Logs.Detection;
using Brummer.Grains.Status;
using CliWrap;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Processes;

/// <summary>
/// Owns the OS process of one script on this node: starts it as the leader of a new process group, captures its
/// output, publishes every state change to the <see cref="NodeStatusTable"/>, and stops the whole group
/// (SIGTERM, then SIGKILL after <see cref="ProcessOptions.StopTimeout"/>).
/// Start and stop are serialized; the exit watcher runs beside them and decides under <see cref="_gate"/>.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA2213:Disposable fields should be disposed", Justification = "Lives as long as the node; SemaphoreSlim holds no OS handle unless AvailableWaitHandle is used.")]
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "Lives as long as the node; SemaphoreSlim holds no OS handle unless AvailableWaitHandle is used.")]
public sealed class ProcessSupervisor
{
    /// <summary>Blank lines status looks past to find the last line that says something.</summary>
    private const int LastLineLookback = 64;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    /// <summary>How long a killed group may take to be gone before the supervisor reports it survived.</summary>
    public static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    private readonly ScriptDefinition _script;
    private readonly NodeStatusTable _table;
    private readonly ProcessCell _cell;
    private readonly ProcessOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly ProcessWatchdog? _watchdog;
    private readonly SemaphoreSlim _control = new(1, 1);
    private readonly Lock _gate = new();
    private Run? _run;
    private long _runFirstSequence = 1; // the first line of the current run: status shows only this run's last line
    private long _shownSequence; // the line the published status shows
    private int _lastLineScheduled;

    public ProcessSupervisor(ScriptDefinition script, NodeStatusTable table, ProcessOptions options, TimeProvider time, ILogger logger, ProcessWatchdog? watchdog = null)
    {
        _watchdog = watchdog;
        _script = script;
        _table = table;
        _options = options;
        _time = time;
        _logger = logger;
        if (!table.TryGetCell(script.Name, out _cell))
        {
            throw new ArgumentException($"'{script.Name}' is not in the status table of node '{table.Node}'.", nameof(script));
        }

        Log = new LogBuffer(options.LogLines, options.LogBytes, time);
        Analyzer = new LogAnalyzer(options: new LogAnalyzerOptions { ReachableHost = options.ReachableHost });
    }

    public string Name => _script.Name;

    public LogBuffer Log { get; }

    /// <summary>Errors and URLs found in this script's output, across its runs (sequence numbers continue).</summary>
    public LogAnalyzer Analyzer { get; }

    /// <summary>The latest published state (null if never run).</summary>
    public ProcessInfo? Current => _cell.Current;

    public bool IsActive => Volatile.Read(ref _run) is not null;

    /// <summary>Starts the script unless it is running; returns once the OS process exists.</summary>
    public Task<RunResult> StartAsync(CancellationToken cancellationToken = default) => StartAsync(ControlDeadline.None, cancellationToken);

    /// <summary>Starts the script unless it is running, if that can begin by <paramref name="deadline"/>.</summary>
    /// <param name="deadline">When the start must have begun; past it (waiting behind another stop, or arriving late), nothing is done.</param>
    public async Task<RunResult> StartAsync(ControlDeadline deadline, CancellationToken cancellationToken = default)
    {
        await EnterAsync(deadline, cancellationToken).ConfigureAwait(false);
        try
        {
            return StartCore(restart: false);
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
            throw ControlExpired.Exception(_table.Node, _script.Name, _time.GetUtcNow() - deadline.StartBy);
        }

        if (deadline.Remaining(_time.GetUtcNow()) <= TimeSpan.Zero)
        {
            _control.Release();
            throw ControlExpired.Exception(_table.Node, _script.Name, _time.GetUtcNow() - deadline.StartBy);
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
            return StartCore(restart: true).Process;
        }
        finally
        {
            _control.Release();
        }
    }

    private RunResult StartCore(bool restart)
    {
        Run? active;
        lock (_gate)
        {
            active = _run;
        }

        if (active is not null)
        {
            return new RunResult(Current!, AlreadyRunning: true);
        }

        var restarts = (Current?.Restarts ?? 0) + (restart ? 1 : 0);
        ProcessInfo starting;
        lock (_gate)
        {
            Volatile.Write(ref _runFirstSequence, Log.LastSequence + 1);
            starting = Publish(new ProcessInfo(_table.Node, _script.Name, ProcessStatus.Starting, null, _time.GetUtcNow(), null, null, restarts, null, null, 0));
        }

        var program = ExecutableResolver.Find(_script.Executable);
        var setsid = ExecutableResolver.Find("setsid");
        if (program is null || setsid is null)
        {
            var missing = program is null ? _script.Executable : "setsid";
            return new RunResult(Fail(starting, $"'{missing}' was not found on PATH."), AlreadyRunning: false);
        }

        var run = new Run();
        var command = Cli.Wrap(setsid)
            .WithArguments(args => args.Add("-w").Add(program).Add(_script.Arguments))
            .WithWorkingDirectory(_script.WorkingDirectory)
            .WithEnvironmentVariables(env => env.Set(_script.Environment!).Set("BRUMMER_NODE", _table.Node).Set("BRUMMER_SCRIPT", _script.Name))
            .WithStandardOutputPipe(new OutputCapture(_options.LogLineMaxBytes, line => OnLine(LogSource.Stdout, line)))
            .WithStandardErrorPipe(new OutputCapture(_options.LogLineMaxBytes, line => OnLine(LogSource.Stderr, line)))
            .WithValidation(CommandResultValidation.None);

        CommandTask<CommandResult> task;
        try
        {
            task = command.ExecuteAsync(run.Abandon.Token);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            return new RunResult(Fail(starting, $"could not start '{_script.Executable}': {ex.Message}"), AlreadyRunning: false);
        }

        run.Pid = task.ProcessId;
        _watchdog?.Track(run.Pid);
        ProcessInfo running;
        lock (_gate)
        {
            _run = run;
            running = Publish(Current! with { Status = ProcessStatus.Running, Pid = run.Pid });
        }

        _logger.LogInformation("Started {Script} on {Node} as pid {Pid}", _script.Name, _table.Node, run.Pid);
        _ = WatchAsync(run, task); // Reports the outcome through the table; nobody awaits it.
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
            _logger.LogWarning(ex, "Watching {Script} failed", _script.Name);
        }

        bool stopRequested;
        lock (_gate)
        {
            run.ExitCode = exitCode;
            stopRequested = run.StopRequested;
            run.ExitedOnItsOwn = !stopRequested;
        }

        run.Exited.TrySetResult();
        if (stopRequested)
        {
            return; // StopCoreAsync publishes 'stopped' once the group is gone.
        }

        // The leader ended on its own: take down anything it left behind in its group, then report the outcome.
        await TerminateGroupAsync(run).ConfigureAwait(false);
        var status = exitCode == 0 ? ProcessStatus.Succeeded : ProcessStatus.Failed;
        lock (_gate)
        {
            Publish(Current! with { Status = status, ExitCode = exitCode, ExitedAt = _time.GetUtcNow(), LastLine = LastLineOfRun() ?? Current!.LastLine });
            _run = null;
        }

        _logger.LogInformation("{Script} on {Node} exited with code {ExitCode}", _script.Name, _table.Node, exitCode);
        Analyzer.Complete(); // the process is gone: a block it was printing is as complete as it will get
        run.Finished.TrySetResult();
    }

    private async Task StopCoreAsync()
    {
        Run? run;
        bool exitedOnItsOwn;
        lock (_gate)
        {
            run = _run;
            if (run is null)
            {
                return;
            }

            exitedOnItsOwn = run.ExitedOnItsOwn;
            if (!exitedOnItsOwn)
            {
                run.StopRequested = true;
                Publish(Current! with { Status = ProcessStatus.Stopping });
            }
        }

        if (!exitedOnItsOwn)
        {
            await TerminateGroupAsync(run).ConfigureAwait(false);
            lock (_gate)
            {
                Publish(Current! with { Status = ProcessStatus.Stopped, ExitCode = run.ExitCode, ExitedAt = _time.GetUtcNow(), LastLine = LastLineOfRun() ?? Current!.LastLine });
                _run = null;
            }

            _logger.LogInformation("Stopped {Script} on {Node}", _script.Name, _table.Node);
            Analyzer.Complete(); // the process is gone: a block it was printing is as complete as it will get
        run.Finished.TrySetResult();
        }

        await run.Finished.Task.ConfigureAwait(false);
    }

    /// <summary>SIGTERM to the group, SIGKILL after the stop timeout; returns when the leader and every member are gone.</summary>
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

        ProcessGroup.Signal(run.Pid, ProcessGroup.SigTerm);
        if (await WaitGoneAsync(run, _options.StopTimeout).ConfigureAwait(false))
        {
            return;
        }

        _logger.LogWarning("{Script} on {Node} ignored SIGTERM for {Timeout}; sending SIGKILL to its group", _script.Name, _table.Node, _options.StopTimeout);
        ProcessGroup.Signal(run.Pid, ProcessGroup.SigKill);
        if (!await WaitGoneAsync(run, KillGrace).ConfigureAwait(false))
        {
            _logger.LogError("Process group {Pid} of {Script} survived SIGKILL for {Grace}", run.Pid, _script.Name, KillGrace);
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

    /// <summary>Called by the stdout and stderr capture loops (<see cref="OutputCapture"/>) for every line.</summary>
    // Allocates nothing for an ordinary line: the buffer copies it into its rings, and only lines the analyzer may
    // care about (a hint of an error or URL, or inside a block) become strings.
    private void OnLine(LogSource stream, ReadOnlySpan<char> text)
    {
        var stripped = AnsiEscapes.HasEscapes(text) ? AnsiEscapes.Strip(text.ToString()) : null;
        var searchText = stripped is null ? text : stripped.AsSpan();
        var (sequence, time) = Log.Append(stream, text, searchText);
        if (Analyzer.Wants(stream, searchText))
        {
            Analyzer.Observe(new LogLineView(sequence, time, stream, stripped ?? searchText.ToString()));
        }

        // A flood of output republishes the last line at most once per interval, not once per line.
        if (Interlocked.Exchange(ref _lastLineScheduled, 1) == 0)
        {
            _ = PublishLastLineLaterAsync();
        }
    }

    /// <summary>
    /// What status shows: the newest line of the current run that is not blank, without colour codes; null if there
    /// is none among the last few. A blank line says nothing (npm ends its header with one), and which of stdout and
    /// stderr printed last is a race between two pipes anyway.
    /// </summary>
    private string? LastLineOfRun()
    {
        var first = Volatile.Read(ref _runFirstSequence);
        if (Log.LastSequence < first)
        {
            return null;
        }

        var found = Log.Search(static line => !line.SearchText.IsWhiteSpace(), limit: 1, maxScanned: LastLineLookback);
        return found.Lines is [var line] && line.Sequence >= first ? line.SearchText : null;
    }

    private async Task PublishLastLineLaterAsync()
    {
        await Task.Delay(_options.LastLineInterval, _time).ConfigureAwait(false);
        Volatile.Write(ref _lastLineScheduled, 0);
        lock (_gate)
        {
            var current = Current;
            var newest = Log.LastSequence;
            if (current is not null && newest >= _runFirstSequence &&
                (newest != _shownSequence || current.ErrorCount != Analyzer.ErrorCount || (current.Urls?.Length ?? 0) != Analyzer.Urls.Count) &&
                LastLineOfRun() is { } line)
            {
                _shownSequence = newest;
                Publish(current with { LastLine = line });
            }
        }
    }

    private ProcessInfo Fail(ProcessInfo starting, string reason)
    {
        _logger.LogWarning("Could not start {Script} on {Node}: {Reason}", _script.Name, _table.Node, reason);
        lock (_gate)
        {
            return Publish(starting with { Status = ProcessStatus.Failed, ExitedAt = _time.GetUtcNow(), Reason = reason });
        }
    }

    /// <summary>Callers hold <see cref="_gate"/>, so a view is always derived from the one it replaces.</summary>
    // Every view of the process carries what its output analysis found so far.
    private ProcessInfo Publish(ProcessInfo info)
    {
        var urls = Analyzer.Urls;
        return _table.Publish(info with
        {
            ErrorCount = Analyzer.ErrorCount,
            Urls = urls.Count == 0 ? null : [.. urls.Select(u => u.Url)],
        });
    }

    private sealed class Run
    {
        public int Pid { get; set; }

        public int? ExitCode { get; set; }

        public bool StopRequested { get; set; }

        public bool ExitedOnItsOwn { get; set; }

        public CancellationTokenSource Abandon { get; } = new();

        public TaskCompletionSource Exited { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public TaskCompletionSource Finished { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
