namespace Brummer.Grains.Abstractions;

/// <summary>
/// One script on one node, keyed <c>node/script</c> (<see cref="ProcessKey"/>). Calls are serialized by the grain,
/// so a script never runs twice at once. Every control call carries a <see cref="ControlDeadline"/>: a request the node
/// reaches too late (it was paused, or the request waited behind others) is refused, never carried out later.
/// </summary>
[Alias("brummer.process")]
public interface IProcessGrain : IGrainWithStringKey
{
    /// <summary>Starts the script, returning once its OS process exists; returns the running one if already running.</summary>
    /// <param name="cancellationToken">Cancelled by a caller that stopped waiting: a request still queued is then dropped.</param>
    [Alias("run")]
    Task<RunResult> RunAsync(ControlDeadline? deadline = null, CancellationToken cancellationToken = default);

    /// <summary>Stops the script's whole process group and returns once none of it is left.</summary>
    /// <remarks>
    /// A stop may take the node's stop timeout plus the SIGKILL grace (<see cref="NodeSnapshot.StopAllowance"/>); callers
    /// bound the wait themselves, so Orleans' own 30 s response timeout must not cut it short.
    /// </remarks>
    [Alias("stop"), ResponseTimeout("01:05:00")]
    Task<ProcessInfo> StopAsync(ControlDeadline? deadline = null, CancellationToken cancellationToken = default);

    /// <summary>Stops the script if it runs, then runs it again, counting the restart.</summary>
    [Alias("restart"), ResponseTimeout("01:05:00")]
    Task<ProcessInfo> RestartAsync(ControlDeadline? deadline = null, CancellationToken cancellationToken = default);

    /// <summary>
    /// Keeps others' hands off the process for <paramref name="duration"/>: their run, stop and restart are refused
    /// (<see cref="ProcessClaimedException"/>) unless forced. The caller (<see cref="ControlActor.Key"/>) may renew its
    /// own claim; taking over someone else's needs <see cref="ControlActor.ForceKey"/>.
    /// </summary>
    [Alias("claim")]
    Task<ClaimAnswer> ClaimAsync(TimeSpan duration, string? note);

    /// <summary>Ends the caller's claim; someone else's only when forced. Releasing an unclaimed process changes nothing.</summary>
    [Alias("release")]
    Task<ClaimAnswer> ReleaseAsync();
}

/// <summary>
/// The latest moment, on the node's own clock, at which the node may still begin acting on a control request. The
/// caller converts its own deadline with the clock offset it measured from the node's heartbeats, so machines whose
/// clocks disagree still agree on when a request has expired.
/// </summary>
[GenerateSerializer, Immutable, Alias("brummer.control-deadline")]
public sealed record ControlDeadline([property: Id(0)] DateTimeOffset StartBy)
{
    /// <summary>No deadline: in-process callers that wait as long as it takes.</summary>
    public static ControlDeadline None { get; } = new(DateTimeOffset.MaxValue);

    /// <summary>Time left before <see cref="StartBy"/> at <paramref name="now"/>; zero or less once it has passed.</summary>
    public TimeSpan Remaining(DateTimeOffset now) => StartBy == DateTimeOffset.MaxValue ? Timeout.InfiniteTimeSpan : StartBy - now;
}

/// <summary>
/// A control request reached the node after its deadline and was not carried out. A <see cref="TimeoutException"/> so that
/// it crosses the wire as a type every caller knows.
/// </summary>
public static class ControlExpired
{
    public static TimeoutException Exception(string node, string script, TimeSpan late) => new(
        $"The request for '{script}' reached node '{node}' {late.TotalSeconds:0.0} s after its deadline and was not carried out.");
}
