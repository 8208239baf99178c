namespace Brummer.Grains.Processes;

/// <summary>How a node supervises its processes.</summary>
public sealed class ProcessOptions
{
    /// <summary>How long a stopped process group gets after SIGTERM before SIGKILL.</summary>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>The longest a stop can take once begun: SIGTERM, the stop timeout, SIGKILL and its grace.</summary>
    public TimeSpan StopAllowance => StopTimeout + ProcessSupervisor.KillGrace;

    /// <summary>
    /// After the node dies without stopping its scripts, how long they get between the watchdog's SIGTERM and SIGKILL.
    /// </summary>
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>Output lines kept per process (the newest; sequence numbers go on counting past them).</summary>
    public int LogLines { get; set; } = 10_000;

    /// <summary>
    /// Memory the kept output lines of one process may hold, counted as UTF-16 text plus 88 bytes per line
    /// (<see cref="Logs.LogLine.Bytes"/>). The default 4 MiB holds all 10,000 lines while they average under about
    /// 160 plain characters (or 80 with colour codes, whose stripped copy is kept too); longer lines make this the
    /// bound instead, so 100 scripts cost at most about 400 MiB, however much they print.
    /// </summary>
    public long LogBytes { get; set; } = Logs.LogBuffer.DefaultMaxBytes;

    /// <summary>
    /// Longest output line kept, in UTF-8 bytes without the line break: 16 KiB holds long stack traces and JSON log
    /// lines whole; anything longer (minified bundles, base64 blobs, progress bars drawn without a newline) keeps its
    /// first bytes and ends with <c>… [truncated N bytes]</c>.
    /// </summary>
    public int LogLineMaxBytes { get; set; } = Logs.OutputLineSplitter.DefaultMaxLineBytes;

    /// <summary>How often a changed last output line is republished (lines in between are only buffered).</summary>
    public TimeSpan LastLineInterval { get; set; } = TimeSpan.FromMilliseconds(100);

    /// <summary>
    /// The host agents reach this node's servers at: a URL a process prints with 0.0.0.0 or [::] is listed with it.
    /// The node's advertised address when it has one other than loopback.
    /// </summary>
    public string ReachableHost { get; set; } = "localhost";
}
