using System.Text.RegularExpressions;

namespace Brummer.Grains.Processes.Health;

/// <summary>
/// log: passes once the process has printed a line matching the pattern during this run, and from then on (it latches).
/// The supervisor feeds every output line to <see cref="Observe"/> from its capture loops; after the match, or after
/// giving up on a pattern too slow to run, that costs one volatile read. Make one per run; the <see cref="Regex"/> is
/// shared across runs (<see cref="Compile"/> once per definition).
/// </summary>
public sealed class LogProbeCheck(Regex pattern) : ISignalingProbeCheck
{
    /// <summary>How long a backtracking pattern may take on one line before the probe stops trying.</summary>
    // Generous on purpose: on a busy machine a descheduled capture thread counts against it too.
    internal static readonly TimeSpan MatchTimeout = TimeSpan.FromSeconds(1);

    private readonly TaskCompletionSource _signaled = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private ProbeOutcome? _latched;

    public string Description => $"log probe /{pattern}/";

    public Task Signaled => _signaled.Task;

    /// <summary>
    /// Compiles a log probe's pattern: the linear-time engine where the pattern allows it, so no line can stall output
    /// capture; otherwise the backtracking one, bounded by <see cref="MatchTimeout"/>.
    /// </summary>
    /// <exception cref="ArgumentException">The pattern is not a valid regular expression (the message says why).</exception>
    public static Regex Compile(string pattern)
    {
        try
        {
            try
            {
                return new Regex(pattern, RegexOptions.NonBacktracking | RegexOptions.CultureInvariant);
            }
            catch (NotSupportedException)
            {
                // Backreferences, lookarounds and the like need backtracking.
                return new Regex(pattern, RegexOptions.CultureInvariant, MatchTimeout);
            }
        }
        catch (RegexParseException ex)
        {
            throw new ArgumentException($"log probe pattern /{pattern}/ is not a valid regular expression: {ex.Message}", nameof(pattern), ex);
        }
    }

    /// <summary>Looks at one line of the process's output (without colour codes); safe to call from several threads.</summary>
    public void Observe(ReadOnlySpan<char> line)
    {
        if (Volatile.Read(ref _latched) is not null)
        {
            return;
        }

        ProbeOutcome outcome;
        try
        {
            if (!pattern.IsMatch(line))
            {
                return;
            }

            outcome = ProbeOutcome.Pass($"printed a line matching /{pattern}/");
        }
        catch (RegexMatchTimeoutException)
        {
            outcome = ProbeOutcome.Fail($"/{pattern}/ took longer than {ProbeText.Seconds(MatchTimeout)} on a line; the log probe stopped matching (simplify the pattern)");
        }

        if (Interlocked.CompareExchange(ref _latched, outcome, null) is null)
        {
            _signaled.TrySetResult();
        }
    }

    public ValueTask<ProbeOutcome> CheckAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult(Volatile.Read(ref _latched) ?? ProbeOutcome.Fail($"no line matched /{pattern}/ yet"));
}
