using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Waiting;

/// <summary>What a caller waits for a process to do. Values are not on the wire; names are (<see cref="WaitConditions.ToWireName"/>).</summary>
public enum WaitCondition
{
    /// <summary>Status running, whatever its probes say.</summary>
    Running = 1,

    /// <summary>Running and ready: no readiness probe, or its probe passed (<see cref="ProcessStatusExtensions.IsReady"/>).</summary>
    Ready = 2,

    /// <summary>Ended after having run: stopped, succeeded or failed.</summary>
    Exited = 3,

    /// <summary>Exited on its own with code 0.</summary>
    Succeeded = 4,

    /// <summary>Exited with a non-zero code, or could not start.</summary>
    Failed = 5,
}

/// <summary>Where a wait stands for one view of the process.</summary>
public enum WaitOutcome
{
    /// <summary>Not yet; a later change may bring it.</summary>
    Waiting = 0,

    /// <summary>The condition holds: answer with the process.</summary>
    Met = 1,

    /// <summary>
    /// It cannot hold without another request: the process ended in a way that rules it out (and no restart is due),
    /// or its node is lost or left. Answer at once instead of waiting out the timeout.
    /// </summary>
    Impossible = 2,
}

public static class WaitConditions
{
    public const string Names = "running, ready, exited, succeeded or failed";

    public static string ToWireName(this WaitCondition condition) => condition switch
    {
        WaitCondition.Running => "running",
        WaitCondition.Ready => "ready",
        WaitCondition.Exited => "exited",
        WaitCondition.Succeeded => "succeeded",
        WaitCondition.Failed => "failed",
        _ => throw new ArgumentOutOfRangeException(nameof(condition), condition, "Unknown wait condition."),
    };

    /// <summary>A condition as a caller names it in <paramref name="argument"/>; null when omitted.</summary>
    public static WaitCondition? Parse(string? text, string argument) => text switch
    {
        null or "" => null,
        "running" => WaitCondition.Running,
        "ready" => WaitCondition.Ready,
        "exited" => WaitCondition.Exited,
        "succeeded" => WaitCondition.Succeeded,
        "failed" => WaitCondition.Failed,
        _ => throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' must be {Names}; got {InputText.Quote(text)}."),
    };

    /// <summary>A condition that must be given, in <paramref name="argument"/>.</summary>
    public static WaitCondition Require(string? text, string argument) =>
        Parse(text, argument) ?? throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' is required: {Names}.");

    /// <summary>What a run may wait for before it answers (<paramref name="argument"/>): running or ready; null when omitted.</summary>
    public static WaitCondition? ParseForRun(string? text, string argument) => text switch
    {
        null or "" => null,
        "running" => WaitCondition.Running,
        "ready" => WaitCondition.Ready,
        _ => throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' must be ready or running (a run waits for the process to serve); got {InputText.Quote(text)}. To wait for it to end, wait separately for exited, succeeded or failed."),
    };

    /// <summary>Whether <paramref name="process"/> satisfies the condition now.</summary>
    public static bool Holds(this WaitCondition condition, ProcessInfo process)
    {
        ArgumentNullException.ThrowIfNull(process);
        return condition switch
        {
            WaitCondition.Running => process.Status == ProcessStatus.Running,
            WaitCondition.Ready => process.IsReady(),
            WaitCondition.Exited => process.Status is ProcessStatus.Stopped or ProcessStatus.Succeeded or ProcessStatus.Failed,
            WaitCondition.Succeeded => process.Status == ProcessStatus.Succeeded,
            WaitCondition.Failed => process.Status == ProcessStatus.Failed,
            _ => false,
        };
    }

    /// <summary>
    /// Where a wait stands, from the process as its node last reported it (null: it has never run) and the node's state.
    /// Only an end the process cannot leave by itself rules a condition out: succeeded, or failed with no restart due.
    /// Stopped does not (a restart or a reload stops a process on its way to running it again), nor pending, starting,
    /// stopping or restarting, nor a process that has never run (a request or a dependent may start it).
    /// </summary>
    public static WaitOutcome Judge(this WaitCondition condition, ProcessInfo? process, NodeState node)
    {
        if (process is not null && condition.Holds(process))
        {
            return WaitOutcome.Met;
        }

        if (node is NodeState.Lost or NodeState.Left)
        {
            return WaitOutcome.Impossible; // Nothing of that node changes until it rejoins, as a new run with a fresh view.
        }

        return process?.Status switch
        {
            ProcessStatus.Succeeded or ProcessStatus.Lost => WaitOutcome.Impossible,
            ProcessStatus.Failed when process.NextRestartAt is null => WaitOutcome.Impossible,
            _ => WaitOutcome.Waiting,
        };
    }

    /// <summary>How a timeout says the condition is still unmet: "is not ready", "has not exited".</summary>
    internal static string Unmet(this WaitCondition condition) => condition switch
    {
        WaitCondition.Running => "is not running",
        WaitCondition.Ready => "is not ready",
        WaitCondition.Exited => "has not exited",
        WaitCondition.Succeeded => "has not succeeded",
        _ => "has not failed",
    };

    /// <summary>What the process would have to do: "be ready", "exit".</summary>
    internal static string Goal(this WaitCondition condition) => condition switch
    {
        WaitCondition.Running => "be running",
        WaitCondition.Ready => "be ready",
        WaitCondition.Exited => "exit",
        WaitCondition.Succeeded => "succeed",
        _ => "fail",
    };
}
