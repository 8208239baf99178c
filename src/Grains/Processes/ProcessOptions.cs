namespace Brummer.Grains.Processes;

/// <summary>How a node supervises its processes.</summary>
public sealed class ProcessOptions
{
    /// <summary>How long a stopped process group gets after SIGTERM before SIGKILL.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// After the node dies without stopping its scripts, how long they get between the watchdog's SIGTERM and SIGKILL.
    /// </summary>
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Output lines kept per process.</summary>
    public int LogLines { get; set; } = 1_000;

    /// <summary>How often a changed last output line is republished (lines in between are only buffered).</summary>
    public TimeSpan LastLineInterval { get; set; } = TimeSpan.FromMilliseconds(100);
}
