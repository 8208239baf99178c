namespace Brummer.Grains.Abstractions;

/// <summary>
/// One immutable view of a script's process. A new instance is published on every change,
/// so a reader holding a reference always sees a consistent set of fields.
/// </summary>
/// <param name="Version">The node's status-table version at which this view was published; only grows.</param>
/// <param name="Health">What its readiness/liveness probes say (<see cref="ProcessHealth.None"/> without probes).</param>
/// <param name="WaitingFor">While <see cref="ProcessStatus.Pending"/> (or after a dependency failed): what it waits for, in words.</param>
/// <param name="NextRestartAt">While <see cref="ProcessStatus.Restarting"/>: when the next start is due.</param>
/// <param name="ErrorCount">Errors detected in the current run's output (repeats included).</param>
/// <param name="LastAction">The last run, stop or restart asked of it: by whom and when.</param>
/// <param name="Run">The current (or last) run's number on its node: 1 for the first start; 0 before it.</param>
/// <param name="Claim">Who keeps others' hands off it, until when (<see cref="ProcessClaim"/>); null when nobody does. Readers compare its <c>Until</c> with now.</param>
[GenerateSerializer, Immutable, Alias("brummer.process-info")]
public sealed record ProcessInfo(
    [property: Id(0)] string Node,
    [property: Id(1)] string Name,
    [property: Id(2)] ProcessStatus Status,
    [property: Id(3)] int? Pid,
    [property: Id(4)] DateTimeOffset? StartedAt,
    [property: Id(5)] DateTimeOffset? ExitedAt,
    [property: Id(6)] int? ExitCode,
    [property: Id(7)] int Restarts,
    [property: Id(8)] string? LastLine,
    [property: Id(9)] string? Reason,
    [property: Id(10)] long Version,
    [property: Id(11)] int ErrorCount = 0,
    [property: Id(12)] string[]? Urls = null,
    [property: Id(13)] ProcessHealth Health = ProcessHealth.None,
    [property: Id(14)] string? WaitingFor = null,
    [property: Id(15)] DateTimeOffset? NextRestartAt = null,
    [property: Id(16)] int Run = 0,
    [property: Id(17)] ProcessAction? LastAction = null,
    [property: Id(18)] ProcessClaim? Claim = null);

/// <summary>A runnable script a node discovered.</summary>
/// <param name="Command">What the script does, as written in its source (e.g. <c>node server.js</c>).</param>
/// <param name="Source">Where it was discovered and how it is run, e.g. <c>package.json (npm)</c>.</param>
[GenerateSerializer, Immutable, Alias("brummer.script-info")]
public sealed record ScriptInfo(
    [property: Id(0)] string Node,
    [property: Id(1)] string Name,
    [property: Id(2)] string Command,
    [property: Id(3)] string Source);

/// <summary>The result of asking to run a script.</summary>
/// <param name="AlreadyRunning">True when the script was already running and nothing new was started.</param>
[GenerateSerializer, Immutable, Alias("brummer.run-result")]
public sealed record RunResult(
    [property: Id(0)] ProcessInfo Process,
    [property: Id(1)] bool AlreadyRunning);
