namespace Brummer.Grains.Abstractions;

/// <summary>Where a script's process is in its life. Values are pinned: they cross the wire.</summary>
[GenerateSerializer]
public enum ProcessStatus
{
    Starting = 1,
    Running = 2,
    Stopping = 3,
    /// <summary>Stopped on request (stop, restart, node shutdown) — never reported as failed.</summary>
    Stopped = 4,
    /// <summary>Exited on its own with code 0.</summary>
    Succeeded = 5,
    /// <summary>Exited on its own with a non-zero code, or could not be spawned.</summary>
    Failed = 6,
    /// <summary>Its node left the cluster; the fields are the last ones known.</summary>
    Lost = 7,
}

public static class ProcessStatusExtensions
{
    /// <summary>The wire name used in JSON and MCP results.</summary>
    public static string ToWireName(this ProcessStatus status) => status switch
    {
        ProcessStatus.Starting => "starting",
        ProcessStatus.Running => "running",
        ProcessStatus.Stopping => "stopping",
        ProcessStatus.Stopped => "stopped",
        ProcessStatus.Succeeded => "succeeded",
        ProcessStatus.Failed => "failed",
        ProcessStatus.Lost => "lost",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown process status."),
    };

    /// <summary>True while an OS process may exist for the script.</summary>
    public static bool IsActive(this ProcessStatus status) =>
        status is ProcessStatus.Starting or ProcessStatus.Running or ProcessStatus.Stopping;
}
