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
    /// <summary>Waiting for its dependencies before it starts (<see cref="ProcessInfo.WaitingFor"/> says which).</summary>
    Pending = 8,
    /// <summary>Exited and waiting out its restart backoff (<see cref="ProcessInfo.NextRestartAt"/> says until when).</summary>
    Restarting = 9,
}

/// <summary>What a process's probes say. Values are pinned: they cross the wire.</summary>
[GenerateSerializer]
public enum ProcessHealth
{
    /// <summary>No readiness probe: running is as ready as it gets.</summary>
    None = 0,
    /// <summary>Running, its readiness probe has not passed yet.</summary>
    Starting = 1,
    /// <summary>Its readiness probe passed (and its liveness probe, if any, has not failed since).</summary>
    Ready = 2,
    /// <summary>A probe failed past its failure threshold.</summary>
    Unhealthy = 3,
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
        ProcessStatus.Pending => "pending",
        ProcessStatus.Restarting => "restarting",
        _ => throw new ArgumentOutOfRangeException(nameof(status), status, "Unknown process status."),
    };

    /// <summary>The wire name used in JSON and MCP results.</summary>
    public static string ToWireName(this ProcessHealth health) => health switch
    {
        ProcessHealth.None => "none",
        ProcessHealth.Starting => "starting",
        ProcessHealth.Ready => "ready",
        ProcessHealth.Unhealthy => "unhealthy",
        _ => throw new ArgumentOutOfRangeException(nameof(health), health, "Unknown health."),
    };

    /// <summary>Running and, when it has a readiness probe, ready: what a dependent or a waiting agent means by "ready".</summary>
    public static bool IsReady(this ProcessInfo process) =>
        process.Status == ProcessStatus.Running && process.Health is ProcessHealth.None or ProcessHealth.Ready;

    /// <summary>True while an OS process may exist for the script.</summary>
    public static bool IsActive(this ProcessStatus status) =>
        status is ProcessStatus.Starting or ProcessStatus.Running or ProcessStatus.Stopping;
}
