using Brummer.Grains.Discovery;

namespace Brummer.Grains.Processes.Health;

/// <summary>Makes the check a probe definition describes, for one process.</summary>
public static class ProbeChecks
{
    /// <exception cref="ArgumentException">A log probe's pattern is not a valid regular expression.</exception>
    /// <param name="watchdog">The node's watchdog, so an exec probe running when the node is killed does not outlive it.</param>
    public static IProbeCheck Create(ProbeCheck check, ScriptDefinition script, ProcessWatchdog? watchdog = null) => check switch
    {
        HttpGetCheck http => new HttpGetProbeCheck(http),
        TcpCheck tcp => new TcpProbeCheck(tcp),
        ExecCheck exec => new ExecProbeCheck(exec.Command, script.WorkingDirectory, script.Environment, watchdog),
        LogCheck log => new LogProbeCheck(LogProbeCheck.Compile(log.Pattern)),
        _ => throw new ArgumentOutOfRangeException(nameof(check), check, "Unknown probe check."),
    };
}
