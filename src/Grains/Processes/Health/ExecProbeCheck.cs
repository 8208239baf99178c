using System.Diagnostics;
using System.Text;

namespace Brummer.Grains.Processes.Health;

/// <summary>
/// exec: runs the command with <c>/bin/sh -c</c> in the process's directory and environment, as the leader of a
/// process group of its own (like the scripts themselves), and passes on exit code 0. Whatever the way it ends —
/// exit, timeout, stop — the whole group is killed before the check returns, so nothing it started is left behind;
/// while it runs, the node's <see cref="ProcessWatchdog"/> (if given) lists the group, in case the node is killed meanwhile.
/// </summary>
public sealed class ExecProbeCheck(string command, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null, ProcessWatchdog? watchdog = null) : IProbeCheck
{
    /// <summary>Output kept per stream for the reason (its first line); the rest is read and dropped so the command never blocks on a full pipe.</summary>
    internal const int OutputLimit = 4096;

    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan KillGrace = TimeSpan.FromSeconds(10);

    // The command is not repeated in reasons: it may carry a password inline, and the user wrote it anyway.
    public string Description => "exec probe";

    public async ValueTask<ProbeOutcome> CheckAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var setsid = ExecutableResolver.Find("setsid");
        if (setsid is null)
        {
            return ProbeOutcome.Fail("exec probe cannot run: 'setsid' was not found on PATH");
        }

        var start = new ProcessStartInfo(setsid)
        {
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
            RedirectStandardInput = true, // closed at once: a probe reading stdin gets EOF, not the node's terminal
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var argument in (string[])["/bin/sh", "-c", command])
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = new Process { StartInfo = start };
        try
        {
            process.Start();
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
        {
            return ProbeOutcome.Fail($"exec probe cannot run in '{workingDirectory}': {ex.Message}");
        }

        // Not a group leader when spawned, so setsid makes the shell one without forking: its pid is the group id.
        var group = process.Id;
        watchdog?.Track(group);
        process.StandardInput.Close();
        var stdout = new BoundedOutput(OutputLimit);
        var stderr = new BoundedOutput(OutputLimit);
        var drained = Task.WhenAll(stdout.DrainAsync(process.StandardOutput.BaseStream), stderr.DrainAsync(process.StandardError.BaseStream));
        try
        {
            await process.WaitForExitAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            await KillGroupAsync(process, group).ConfigureAwait(false);
            watchdog?.Forget(group);
            // With the group gone the pipes are closed; a member that escaped into a session of its own could still
            // hold them, and must not keep the probe waiting.
            await Task.WhenAny(drained, Task.Delay(TimeSpan.FromSeconds(1), CancellationToken.None)).ConfigureAwait(false);
        }

        var code = process.ExitCode;
        if (code == 0)
        {
            return ProbeOutcome.Pass("exit 0");
        }

        // stderr first: that is where a failing command says why (which pipe printed first is a race anyway).
        var line = ProbeText.FirstLine(stderr.Text) ?? ProbeText.FirstLine(stdout.Text);
        return ProbeOutcome.Fail(line is null ? $"exit {code}" : $"exit {code}: {line}");
    }

    /// <summary>SIGKILL to the group until the shell and every member are gone (leftover background jobs, or all of it after a timeout).</summary>
    private static async Task KillGroupAsync(Process shell, int group)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(KillGrace.TotalSeconds * Stopwatch.Frequency);
        while (!shell.HasExited || !ProcessGroup.IsEmpty(group))
        {
            // Again each round: right after spawn the group may not exist yet, and then only the shell is signalled.
            ProcessGroup.Signal(group, ProcessGroup.SigKill);
            if (Stopwatch.GetTimestamp() > deadline)
            {
                return; // unkillable (D state): nothing more a probe can do
            }

            await Task.Delay(PollInterval, CancellationToken.None).ConfigureAwait(false);
        }
    }

    /// <summary>The first bytes of one stream, up to the limit.</summary>
    private sealed class BoundedOutput(int limit)
    {
        private readonly Lock _gate = new();
        private readonly byte[] _kept = new byte[limit];
        private int _length;

        public string Text
        {
            get
            {
                lock (_gate)
                {
                    return Encoding.UTF8.GetString(_kept, 0, _length);
                }
            }
        }

        public async Task DrainAsync(Stream stream)
        {
            var buffer = new byte[1024];
            try
            {
                int read;
                while ((read = await stream.ReadAsync(buffer).ConfigureAwait(false)) > 0)
                {
                    lock (_gate)
                    {
                        var kept = Math.Min(read, _kept.Length - _length);
                        buffer.AsSpan(0, kept).CopyTo(_kept.AsSpan(_length));
                        _length += kept;
                    }
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException)
            {
                // The process object was disposed while a member still held the pipe: what was read is kept.
            }
        }
    }
}
