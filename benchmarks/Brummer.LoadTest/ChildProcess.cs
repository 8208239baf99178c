using System.Diagnostics;
using System.Globalization;

namespace Brummer.LoadTest;

/// <summary>
/// One <c>dotnet brummer.dll ...</c> OS process: its output goes to a log file (and can be waited on, line by line);
/// stopping it sends SIGTERM first, so a node stops its scripts the way a user's Ctrl+C would.
/// </summary>
internal sealed class ChildProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StreamWriter _log;
    private readonly Lock _gate = new();
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _awaited = [];

    private ChildProcess(string name, Process process, StreamWriter log)
    {
        Name = name;
        _process = process;
        _log = log;
    }

    public string Name { get; }

    public int Pid => _process.Id;

    public bool HasExited => _process.HasExited;

    public static ChildProcess Start(string name, string dll, IReadOnlyDictionary<string, string> environment, string logPath, params string[] args)
    {
        // setsid(1) execs dotnet in a session of its own (same pid): a Ctrl+C in the terminal reaches only this tool,
        // which then stops the gateway and the nodes in order instead of all of them at once.
        var start = new ProcessStartInfo("setsid")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.ArgumentList.Add("dotnet");
        start.ArgumentList.Add(dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var log = new StreamWriter(logPath) { AutoFlush = true };
        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var child = new ChildProcess(name, process, log);
        process.OutputDataReceived += (_, e) => child.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => child.OnLine(e.Data);
        process.Exited += (_, _) => child.OnExited();
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return child;
    }

    /// <summary>Completes with the first line (from now on) that matches, or fails if the process exits first.</summary>
    public Task<string> WaitForLineAsync(Func<string, bool> match, TimeSpan timeout, CancellationToken cancellationToken)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (_process.HasExited)
            {
                return Task.FromException<string>(Exited());
            }

            _awaited.Add((match, seen));
        }

        return seen.Task.WaitAsync(timeout, cancellationToken);
    }

    /// <summary>SIGTERM, then SIGKILL of the whole tree if it is still there after <paramref name="grace"/>.</summary>
    public async Task StopAsync(TimeSpan grace)
    {
        if (_process.HasExited)
        {
            return;
        }

        Signal(_process.Id, "TERM");
        try
        {
            await _process.WaitForExitAsync().WaitAsync(grace);
        }
        catch (TimeoutException)
        {
            Console.Error.WriteLine($"{Name} (pid {_process.Id}) ignored SIGTERM for {grace.TotalSeconds:0} s; killing its tree");
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }
    }

    /// <summary>Sends a signal with kill(1); a negative pid addresses a process group.</summary>
    public static void Signal(int pid, string signal)
    {
        using var kill = Process.Start(new ProcessStartInfo("kill", ["-" + signal, "--", pid.ToString(CultureInfo.InvariantCulture)])
        {
            RedirectStandardError = true,
            UseShellExecute = false,
        })!;
        kill.WaitForExit();
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_gate)
        {
            _log.WriteLine(line);
            for (var i = _awaited.Count - 1; i >= 0; i--)
            {
                if (_awaited[i].Match(line))
                {
                    _awaited[i].Seen.TrySetResult(line);
                    _awaited.RemoveAt(i);
                }
            }
        }
    }

    private void OnExited()
    {
        lock (_gate)
        {
            foreach (var (_, seen) in _awaited)
            {
                seen.TrySetException(Exited());
            }

            _awaited.Clear();
        }
    }

    private InvalidOperationException Exited() =>
        new($"{Name} exited with code {_process.ExitCode} before it was ready; see its log.");

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.WaitForExit(); // drains the redirected streams into the log
        lock (_gate)
        {
            _log.Dispose();
        }

        _process.Dispose();
    }
}
