using System.Globalization;
using System.Runtime.InteropServices;

namespace Brummer.Grains.Processes;

/// <summary>
/// POSIX process groups: every script runs as the leader of its own session and group (via setsid), so one
/// signal reaches the whole tree, grandchildren included. Membership is read from /proc, which also sees
/// descendants that were re-parented after their parent died.
/// </summary>
internal static partial class ProcessGroup
{
    public const int SigKill = 9;
    public const int SigTerm = 15;
    private const int Esrch = 3;

    private static readonly int OwnGroup = GetProcessGroup();

    /// <summary>Signals every process of the group; falls back to the leader alone if the group does not exist yet.</summary>
    /// <returns>False when neither the group nor the leader exists any more.</returns>
    public static bool Signal(int groupId, int signal)
    {
        // Never signal our own group (or init): that would take the node down with the script.
        if (groupId <= 1 || groupId == OwnGroup || groupId == Environment.ProcessId)
        {
            return false;
        }

        if (Kill(-groupId, signal) == 0)
        {
            return true;
        }

        // The leader may not have called setsid() yet right after spawn; then signal it alone.
        return Marshal.GetLastPInvokeError() == Esrch && Kill(groupId, signal) == 0;
    }

    /// <summary>Live (non-zombie) processes whose process group is <paramref name="groupId"/>.</summary>
    public static List<int> Members(int groupId)
    {
        var members = new List<int>();
        foreach (var dir in Directory.EnumerateDirectories("/proc"))
        {
            var name = Path.GetFileName(dir.AsSpan());
            if (!int.TryParse(name, NumberStyles.None, CultureInfo.InvariantCulture, out var pid))
            {
                continue;
            }

            if (TryReadStat(pid, out var state, out var group) && group == groupId && state != 'Z' && state != 'X')
            {
                members.Add(pid);
            }
        }

        return members;
    }

    public static bool IsEmpty(int groupId) => Members(groupId).Count == 0;

    /// <summary>Reads state and process group from /proc/PID/stat ("pid (comm) state ppid pgrp ...").</summary>
    public static bool TryReadStat(int pid, out char state, out int group)
    {
        state = default;
        group = default;
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // Exited between listing and reading.
        }

        // comm may hold spaces and parentheses: the fields start after the last ')'.
        var close = stat.LastIndexOf(')');
        if (close < 0)
        {
            return false;
        }

        var fields = stat.AsSpan(close + 2);
        Span<Range> parts = stackalloc Range[4];
        if (fields.Split(parts, ' ') < 3)
        {
            return false;
        }

        state = fields[parts[0]][0];
        return int.TryParse(fields[parts[2]], NumberStyles.Integer, CultureInfo.InvariantCulture, out group);
    }

    private static int GetProcessGroup() => OperatingSystem.IsWindows() ? 0 : GetPgrp();

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int Kill(int pid, int signal);

    [LibraryImport("libc", EntryPoint = "getpgrp")]
    private static partial int GetPgrp();
}
