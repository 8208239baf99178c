using System.Globalization;

namespace Brummer.LoadTest;

/// <summary>
/// CPU time from /proc: per watched process (utime + stime of the process itself, and cutime + cstime of the children
/// it has reaped, i.e. a node's scripts) and for the whole machine (/proc/stat), so a phase can say how many of the
/// cores each role used and how much went to everything else on this shared machine. A role's pid is asked for at
/// every sample (a script's pid changes with every run; 0 = nothing to watch now).
/// </summary>
internal sealed class CpuSampler(IReadOnlyList<(string Role, Func<int> Pid)> watched)
{
    public CpuSampler(IReadOnlyList<(string Role, int Pid)> watched)
        : this([.. watched.Select(w => (w.Role, (Func<int>)(() => w.Pid)))])
    {
    }

    private static readonly double TicksPerSecond = ClockTicks();

    public CpuSample Take()
    {
        var own = new Dictionary<string, (double Self, double Children)>(StringComparer.Ordinal);
        foreach (var (role, pid) in watched)
        {
            own[role] = ReadProcess(pid());
        }

        var (busy, total) = ReadMachine();
        return new CpuSample(DateTime.UtcNow, own, busy, total);
    }

    /// <summary>Cores used over one or more windows (their CPU time over their summed length): per role and for the machine.</summary>
    public static CpuUsage Over(IReadOnlyList<(CpuSample Start, CpuSample End)> windows)
    {
        var seconds = 0.0;
        var idle = 0.0;
        var roles = new Dictionary<string, (double Self, double Children)>(StringComparer.Ordinal);
        foreach (var (start, end) in windows)
        {
            seconds += (end.At - start.At).TotalSeconds;
            idle += (end.MachineTotal - end.MachineBusy) - (start.MachineTotal - start.MachineBusy);
            foreach (var (role, (self, children)) in end.Processes)
            {
                var before = start.Processes.GetValueOrDefault(role);
                var sum = roles.GetValueOrDefault(role);
                roles[role] = (sum.Self + self - before.Self, sum.Children + children - before.Children);
            }
        }

        if (seconds <= 0)
        {
            return new CpuUsage([], 0, Environment.ProcessorCount);
        }

        return new CpuUsage(
            [.. roles.Select(r => (r.Key, r.Value.Self / seconds, r.Value.Children / seconds))],
            // Busy = the cores minus their idle time, not /proc/stat's busy fields: those are sampled at the tick, and a
            // tickless kernel whose cores idle between short bursts charges most ticks to idle (0.12 cores busy
            // reported while the gateway alone used 0.52), whereas idle time is measured when a core leaves idle.
            Math.Max(0, Environment.ProcessorCount - (idle / TicksPerSecond / seconds)),
            Environment.ProcessorCount);
    }

    private static (double Self, double Children) ReadProcess(int pid)
    {
        if (pid <= 0)
        {
            return (0, 0);
        }

        try
        {
            var stat = File.ReadAllText($"/proc/{pid}/stat");
            // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
            var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            double F(int field) => double.Parse(fields[field - 3], CultureInfo.InvariantCulture) / TicksPerSecond;
            return (F(14) + F(15), F(16) + F(17));
        }
        catch (IOException)
        {
            return (0, 0);
        }
    }

    private static (double Busy, double Total) ReadMachine()
    {
        var line = File.ReadLines("/proc/stat").First(l => l.StartsWith("cpu ", StringComparison.Ordinal));
        var values = line.Split(' ', StringSplitOptions.RemoveEmptyEntries).Skip(1).Take(8)
            .Select(v => double.Parse(v, CultureInfo.InvariantCulture)).ToArray();
        var idle = values[3] + values[4]; // idle + iowait
        var total = values.Sum();
        return (total - idle, total);
    }

    private static double ClockTicks()
    {
        // USER_HZ is 100 on every Linux this runs on; getconf says for sure.
        try
        {
            using var getconf = System.Diagnostics.Process.Start(new System.Diagnostics.ProcessStartInfo("getconf", "CLK_TCK") { RedirectStandardOutput = true })!;
            var text = getconf.StandardOutput.ReadToEnd().Trim();
            getconf.WaitForExit();
            return double.Parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or FormatException)
        {
            return 100;
        }
    }
}

internal sealed record CpuSample(DateTime At, Dictionary<string, (double Self, double Children)> Processes, double MachineBusy, double MachineTotal);

/// <summary>Cores (1.0 = one core fully busy) used during a phase.</summary>
internal sealed record CpuUsage(IReadOnlyList<(string Role, double Self, double Children)> Roles, double MachineBusy, int Cores)
{
    public double Ours => Roles.Sum(r => r.Self + r.Children);

    /// <summary>Busy cores not accounted for by the cluster or this tool: other users of this shared machine.</summary>
    public double Others => Math.Max(0, MachineBusy - Ours);
}
