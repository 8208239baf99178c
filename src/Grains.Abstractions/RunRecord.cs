namespace Brummer.Grains.Abstractions;

/// <summary>One run of a script's process on its node: from its start until it ended, and who asked for it.</summary>
/// <param name="Run">Its number on the node: 1 for the first start (errors_list takes it as <c>run</c>).</param>
/// <param name="EndedAt">When it ended; null while it runs.</param>
/// <param name="ExitCode">How it exited, when it exited (null while it runs, when it was killed by a signal or never started).</param>
/// <param name="ErrorCount">Errors detected in what it printed, repeats included.</param>
/// <param name="StartedBy">Who asked for it (<see cref="ControlActor"/>): a token or client name, <c>policy</c> for a restart by its restart policy, <c>node</c> for the node itself (autostart, a definitions change).</param>
/// <param name="Trigger">Why it started: request, restart (by policy), dependencies (pending until they held), reload.</param>
/// <param name="Reason">Why it could not start or why it ended, when that was not its own exit.</param>
[GenerateSerializer, Immutable, Alias("brummer.run-record")]
public sealed record RunRecord(
    [property: Id(0)] int Run,
    [property: Id(1)] DateTimeOffset StartedAt,
    [property: Id(2)] DateTimeOffset? EndedAt,
    [property: Id(3)] int? ExitCode,
    [property: Id(4)] RunOutcome Outcome,
    [property: Id(5)] int ErrorCount,
    [property: Id(6)] string StartedBy,
    [property: Id(7)] string Trigger,
    [property: Id(8)] string? Reason = null);

/// <summary>How a run ended. Values are pinned: they cross the wire.</summary>
[GenerateSerializer]
public enum RunOutcome
{
    Running = 1,
    /// <summary>Exited on its own with code 0.</summary>
    Succeeded = 2,
    /// <summary>Exited on its own with another code, or its liveness probe failed.</summary>
    Failed = 3,
    /// <summary>Stopped on request (stop, restart, reload, node shutdown).</summary>
    Stopped = 4,
    /// <summary>Its program could not be started.</summary>
    NotStarted = 5,
}

/// <summary>Who asks a node to act: carried with each control call in the Orleans request context.</summary>
public static class ControlActor
{
    /// <summary>The request-context key the gateway sets to the caller's name before a control call.</summary>
    public const string Key = "brummer-actor";

    /// <summary>The request-context key the gateway sets to true when the caller acts over someone else's claim (force: true).</summary>
    public const string ForceKey = "brummer-force";

    /// <summary>A restart the process's restart policy made.</summary>
    public const string Policy = "policy";

    /// <summary>The node itself: autostart, or a definitions file it saw change.</summary>
    public const string Node = "node";

    public static string ToWireName(this RunOutcome outcome) => outcome switch
    {
        RunOutcome.Running => "running",
        RunOutcome.Succeeded => "succeeded",
        RunOutcome.Failed => "failed",
        RunOutcome.Stopped => "stopped",
        RunOutcome.NotStarted => "not_started",
        _ => throw new ArgumentOutOfRangeException(nameof(outcome), outcome, "Unknown run outcome."),
    };
}
