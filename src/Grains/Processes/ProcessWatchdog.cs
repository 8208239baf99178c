using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Processes;

/// <summary>
/// Makes sure no script outlives its node, even when the node is killed with SIGKILL and cannot clean up. A small
/// <c>sh</c> process in its own session holds the read end of a pipe from the node and the list of the node's live
/// process groups. When the pipe closes (the node exited, whatever the way) it sends SIGTERM to every group still
/// listed, and SIGKILL to what is left after <see cref="ProcessOptions.OrphanGrace"/>. A clean shutdown stops and
/// unlists every group first, so then it has nothing to do.
/// </summary>
public sealed class ProcessWatchdog(ProcessOptions options, ILogger<ProcessWatchdog> logger) : IDisposable
{
    // POSIX sh (dash): '+PGID' lists a group, '-PGID' unlists it; EOF means the node is gone.
    private const string Script = """
        grace_tenths="$1"; groups=""
        trap '' HUP INT
        while IFS= read -r line; do
          case "$line" in
            +*) groups="$groups ${line#+}" ;;
            -*) kept=""; for g in $groups; do [ "$g" = "${line#-}" ] || kept="$kept $g"; done; groups="$kept" ;;
          esac
        done
        [ -n "$groups" ] || exit 0
        for g in $groups; do kill -TERM -"$g" 2>/dev/null; done
        i=0
        while [ "$i" -lt "$grace_tenths" ]; do
          alive=""; for g in $groups; do kill -0 -"$g" 2>/dev/null && alive="$alive $g"; done
          [ -n "$alive" ] || exit 0
          sleep 0.1; i=$((i + 1))
        done
        for g in $groups; do kill -KILL -"$g" 2>/dev/null; done
        """;

    private readonly Lock _gate = new();
    private readonly HashSet<int> _groups = [];
    private Process? _process;
    private bool _disposed;

    /// <summary>The watchdog's pid, once started (for diagnostics and tests).</summary>
    public int? Pid
    {
        get
        {
            lock (_gate)
            {
                return _process?.Id;
            }
        }
    }

    /// <summary>Lists a process group the watchdog must kill if the node dies.</summary>
    public void Track(int groupId) => Send(groupId, track: true);

    /// <summary>Unlists a process group that is gone (its id may be reused by an unrelated process later).</summary>
    public void Forget(int groupId) => Send(groupId, track: false);

    private void Send(int groupId, bool track)
    {
        lock (_gate)
        {
            if (_disposed || (track ? !_groups.Add(groupId) : !_groups.Remove(groupId)))
            {
                return;
            }

            try
            {
                if (_process is { HasExited: false })
                {
                    var input = _process.StandardInput;
                    input.Write(track ? '+' : '-');
                    input.WriteLine(groupId);
                    input.Flush();
                    return;
                }
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException)
            {
                logger.LogWarning(ex, "The process watchdog was gone; starting a new one");
            }

            // Not started yet, or someone killed it: a new one gets the whole list, so protection resumes.
            Restart();
        }
    }

    private void Start()
    {
        _process?.Dispose();
        _process = null;
        var setsid = ExecutableResolver.Find("setsid") ?? throw new InvalidOperationException("'setsid' was not found on PATH.");
        var start = new ProcessStartInfo(setsid)
        {
            RedirectStandardInput = true,
            // Not inherited: a watchdog holding the node's stdout open would keep whoever reads it waiting after a kill.
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        var graceTenths = ((int)(options.OrphanGrace.TotalMilliseconds / 100)).ToString(System.Globalization.CultureInfo.InvariantCulture);
        foreach (var argument in new[] { "sh", "-c", Script, "brummer-watchdog", graceTenths })
        {
            start.ArgumentList.Add(argument);
        }

        _process = Process.Start(start) ?? throw new InvalidOperationException("The process watchdog did not start.");
        logger.LogDebug("Process watchdog started as pid {Pid}", _process.Id);
    }

    private void Restart()
    {
        try
        {
            Start();
            foreach (var group in _groups)
            {
                _process!.StandardInput.WriteLine($"+{group}");
            }

            _process!.StandardInput.Flush();
        }
        catch (Exception ex) when (ex is IOException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            logger.LogError(ex, "The process watchdog cannot run: scripts may outlive this node if it is killed");
        }
    }

    /// <summary>Closes the pipe: the watchdog stops whatever is still listed, then exits.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (_process is not null)
            {
                try
                {
                    _process.StandardInput.Close();
                }
                catch (IOException)
                {
                    // Already gone.
                }

                _process.Dispose();
            }
        }
    }
}
