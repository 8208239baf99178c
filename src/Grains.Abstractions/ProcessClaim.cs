using System.Globalization;

namespace Brummer.Grains.Abstractions;

/// <summary>
/// Someone's "hands off" on a process until <see cref="Until"/>: while it holds, control calls by anyone else are
/// refused unless they force them. It lapses by itself at <see cref="Until"/> (compared whenever it is read), so no
/// timer has to clear it.
/// </summary>
/// <param name="By">Who holds it (<see cref="ControlActor"/>), named as the audit names them.</param>
/// <param name="Until">When it lapses, on the node's clock.</param>
/// <param name="Note">Why, in the holder's words; null when none was given.</param>
/// <param name="At">When it was made, on the node's clock.</param>
[GenerateSerializer, Immutable, Alias("brummer.process-claim")]
public sealed record ProcessClaim(
    [property: Id(0)] string By,
    [property: Id(1)] DateTimeOffset Until,
    [property: Id(2)] string? Note,
    [property: Id(3)] DateTimeOffset At)
{
    /// <summary>The longest claim a node accepts: a claim is for a while, never for good.</summary>
    public static readonly TimeSpan MaxDuration = TimeSpan.FromHours(24);

    /// <summary>The longest note a node keeps.</summary>
    public const int MaxNoteLength = 200;

    public bool HoldsAt(DateTimeOffset now) => Until > now;

    /// <summary>"claimed by X until T: note", the words every refusal and status line uses.</summary>
    public string Describe() =>
        string.Create(CultureInfo.InvariantCulture, $"claimed by {By} until {Until.UtcDateTime:yyyy-MM-ddTHH:mm:ssZ}{(string.IsNullOrEmpty(Note) ? string.Empty : ": " + Note)}");
}

/// <summary>What a claim or release left: the claim now held (or released), and the process's view to publish at once.</summary>
/// <param name="Claim">After a claim, the new claim; after a release, the claim that was released (null if there was none).</param>
/// <param name="Process">The process's view with the change, or null when the script has never run (status lists it from its first run).</param>
[GenerateSerializer, Immutable, Alias("brummer.claim-answer")]
public sealed record ClaimAnswer(
    [property: Id(0)] ProcessClaim? Claim,
    [property: Id(1)] ProcessInfo? Process);

/// <summary>
/// A control call refused because someone else holds a claim on the process. Its own type so that the gateway can
/// answer it as a conflict (409), not as a bad request.
/// </summary>
[GenerateSerializer, Alias("brummer.process-claimed")]
public sealed class ProcessClaimedException : Exception
{
    public ProcessClaimedException()
    {
    }

    public ProcessClaimedException(string message)
        : base(message)
    {
    }

    public ProcessClaimedException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    /// <summary>The refusal of <paramref name="action"/> on <paramref name="script"/>, saying whose claim and how to act anyway.</summary>
    public static ProcessClaimedException For(string node, string script, ProcessClaim claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return new($"'{script}' on node '{node}' is {claim.Describe()} — pass force: true to act anyway (recorded).");
    }
}
