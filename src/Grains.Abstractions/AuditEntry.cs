namespace Brummer.Grains.Abstractions;

/// <summary>One control action a node was asked to take: who, what, on which process, when, and how it went.</summary>
/// <param name="By">Who asked (<see cref="ControlActor"/>).</param>
/// <param name="Script">The process acted on; null for a reload (the whole node).</param>
/// <param name="Action">run, stop, restart, reload, claim or release.</param>
/// <param name="Outcome">ok, already running, or the refusal or failure, in words.</param>
/// <param name="ForcedOver">Whose claim the action was forced over (force: true), when it was.</param>
[GenerateSerializer, Immutable, Alias("brummer.audit-entry")]
public sealed record AuditEntry(
    [property: Id(0)] DateTimeOffset At,
    [property: Id(1)] string By,
    [property: Id(2)] string Action,
    [property: Id(3)] string Node,
    [property: Id(4)] string? Script,
    [property: Id(5)] string Outcome,
    [property: Id(6)] string? ForcedOver = null);

/// <summary>The last control action on a process, as status shows it.</summary>
[GenerateSerializer, Immutable, Alias("brummer.process-action")]
public sealed record ProcessAction(
    [property: Id(0)] string By,
    [property: Id(1)] string Action,
    [property: Id(2)] DateTimeOffset At);
