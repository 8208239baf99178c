using System.Diagnostics;
using System.Text;

namespace Brummer.Cli.Tests;

/// <summary>The real <c>brummer</c> program, started as its own OS process (dotnet brummer.dll ...).</summary>
internal sealed class BrummerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _mcpUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<(string Text, TaskCompletionSource Seen)> _awaited = [];

    private BrummerProcess(Process process)
    {
        _process = process;
    }

    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "brummer.dll");

    /// <summary>
    /// How long a start may take before the test gives up on it. Generous on purpose: starting the runtime, a silo or
    /// a gateway's first view of the cluster is CPU work, and on a busy 2-core machine a gateway took 10-15 s alone and
    /// more than 60 s beside the other test assemblies; the wait ends as soon as the process is ready.
    /// </summary>
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(3);

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static BrummerProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    /// <summary>
    /// An empty config directory for every brummer the tests start, so a token file in the developer's own
    /// ~/.config/brummer never turns authentication on in a test that did not ask for it.
    /// </summary>
    private static readonly string IsolatedConfig = Directory.CreateTempSubdirectory("brummer-test-config-").FullName;

    public static BrummerProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args) => Start(environment, null, null, args);

    /// <summary>Starts brummer in <paramref name="workingDirectory"/>, as a user runs it from their project.</summary>
    public static BrummerProcess StartIn(string workingDirectory, params string[] args) => Start(new Dictionary<string, string>(), workingDirectory, null, args);

    /// <summary>Starts an installed brummer (<paramref name="executable"/>, e.g. a dotnet tool's shim) instead of the dll built beside the tests.</summary>
    public static BrummerProcess StartInstalled(string executable, params string[] args) => Start(new Dictionary<string, string>(), null, executable, args);

    /// <summary>Runs a verb of an installed brummer to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunInstalledAsync(string executable, params string[] args)
    {
        await using var brummer = StartInstalled(executable, args);
        return await brummer.RunToEndAsync();
    }

    /// <param name="executable">The program to start; null for <c>dotnet</c> <see cref="Dll"/>.</param>
    private static BrummerProcess Start(IReadOnlyDictionary<string, string> environment, string? workingDirectory, string? executable, string[] args)
    {
        var start = new ProcessStartInfo(executable ?? "dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        if (workingDirectory is not null)
        {
            start.WorkingDirectory = workingDirectory;
        }

        start.Environment["XDG_CONFIG_HOME"] = IsolatedConfig;
        foreach (var inherited in new[] { "BRUMMER_TOKENS", "BRUMMER_TOKEN", "BRUMMER_GATEWAY", "BRUMMER_CLUSTER" })
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        if (executable is null)
        {
            start.ArgumentList.Add(Dll);
        }

        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var brummer = new BrummerProcess(process);
        process.OutputDataReceived += (_, e) => brummer.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => brummer.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.Exited += (_, _) => brummer.OnExited();
        return brummer;
    }

    /// <summary>Runs a verb in <paramref name="workingDirectory"/> with extra environment variables to completion.</summary>
    public static async Task<(int ExitCode, string Output)> RunInAsync(string workingDirectory, IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var brummer = Start(environment, workingDirectory, null, args);
        return await brummer.RunToEndAsync();
    }

    /// <summary>Runs a client verb to completion and returns its exit code and output.</summary>
    public static Task<(int ExitCode, string Output)> RunAsync(params string[] args) => RunAsync(new Dictionary<string, string>(), args);

    /// <summary>Runs a client verb with extra environment variables to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        await using var brummer = Start(environment, args);
        return await brummer.RunToEndAsync();
    }

    private async Task<(int ExitCode, string Output)> RunToEndAsync()
    {
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken);
        _process.WaitForExit(); // drains the redirected streams
        return (_process.ExitCode, Output.Trim());
    }

    /// <summary>Completes with the exit code once the process has exited (and its output is read).</summary>
    public async Task<int> WaitForExitAsync(TimeSpan timeout)
    {
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(timeout, TestContext.Current.CancellationToken);
        _process.WaitForExit(); // drains the redirected streams
        return _process.ExitCode;
    }

    /// <summary>Completes with the MCP URL once brummer up prints it (i.e. is ready).</summary>
    public async Task<Uri> McpUrlAsync()
    {
        await SaysWhatItPrintedAsync(_mcpUrl.Task, StartTimeout, "print its MCP URL");
        return await _mcpUrl.Task;
    }

    /// <summary>Completes once the process printed a line containing <paramref name="text"/> (e.g. a node's "joined").</summary>
    public Task WaitForOutputAsync(string text, TimeSpan? timeout = null)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_output)
        {
            if (_output.ToString().Contains(text, StringComparison.Ordinal))
            {
                return Task.CompletedTask;
            }

            if (_process.HasExited)
            {
                return Task.FromException(Exited());
            }

            _awaited.Add((text, seen));
        }

        return SaysWhatItPrintedAsync(seen.Task, timeout ?? StartTimeout, $"print '{text}'");
    }

    /// <summary>SIGSTOP (<paramref name="paused"/>) or SIGCONT to brummer alone: a machine that hangs, then comes back.</summary>
    public void Pause(bool paused) =>
        Process.Start("kill", [paused ? "-STOP" : "-CONT", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();

    /// <summary>SIGKILL to brummer alone (not its children): a crash it cannot clean up after.</summary>
    public async Task KillHardAsync()
    {
        Process.Start("kill", ["-KILL", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
    }

    public async Task<int> TerminateAsync()
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
            foreach (var (text, seen) in _awaited.Where(a => line.Contains(a.Text, StringComparison.Ordinal)).ToList())
            {
                seen.TrySetResult();
                _awaited.RemoveAll(a => a.Seen == seen);
            }
        }

        if (line.StartsWith("MCP:", StringComparison.Ordinal))
        {
            _mcpUrl.TrySetResult(new Uri(line["MCP:".Length..].Trim()));
        }
    }

    /// <summary>Waits for <paramref name="task"/>; on timeout the failure says what the process printed so far.</summary>
    private async Task SaysWhatItPrintedAsync(Task task, TimeSpan timeout, string what)
    {
        try
        {
            await task.WaitAsync(timeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"brummer (pid {_process.Id}) did not {what} within {timeout.TotalSeconds:0} s; it printed:\n{Output}", ex);
        }
    }

    private InvalidOperationException Exited() => new($"brummer exited with {_process.ExitCode} before it was ready:\n{Output}");

    private void OnExited()
    {
        _mcpUrl.TrySetException(Exited());
        lock (_output)
        {
            foreach (var (_, seen) in _awaited)
            {
                seen.TrySetException(Exited());
            }

            _awaited.Clear();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
