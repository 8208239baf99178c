using Brummer.Grains.Discovery;

namespace Brummer.Grains.Processes.Restarts;

/// <summary>How one run of a process ended, as far as restarting it is concerned.</summary>
/// <param name="ExitCode">Null when it was killed by a signal or its code is unknown: that counts as a failure.</param>
/// <param name="Uptime">How long the run lasted, start to exit.</param>
/// <param name="StopRequested">Stopped on request (stop, restart, reload, node shutdown): never restarted.</param>
/// <param name="LivenessFailed">Ended because its liveness probe failed (the supervisor killed it): a failure whatever the code.</param>
public readonly record struct ProcessExit(int? ExitCode, TimeSpan Uptime, bool StopRequested = false, bool LivenessFailed = false)
{
    public bool IsFailure => LivenessFailed || ExitCode != 0;
}

/// <summary>What to do after a run ended.</summary>
/// <param name="Restart">Start it again at <paramref name="At"/>.</param>
/// <param name="Delay">How long from now until <paramref name="At"/>.</param>
/// <param name="GaveUpReason">Set when the policy would restart it but <c>max_restarts</c> is used up: say this in status.</param>
public readonly record struct RestartDecision(bool Restart, DateTimeOffset? At, TimeSpan Delay, string? GaveUpReason)
{
    public static RestartDecision No { get; } = new(false, null, TimeSpan.Zero, null);
}

/// <summary>
/// Restart bookkeeping of one process (pm2's exponential backoff): after the n-th restart in a row the wait is
/// <c>backoff · 2^(n-1)</c> with ±<see cref="Jitter"/> jitter, never more than <c>max_backoff</c>; a run that stays up
/// <c>StableAfter</c> starts the count again; after <c>max_restarts</c> restarts in a row (0: no limit) it gives up.
/// Not thread-safe: the supervisor calls it under its own lock, once per exit.
/// </summary>
public sealed class RestartBackoff(RestartPolicy policy, TimeProvider time, Random? random = null)
{
    /// <summary>A share of the delay added or removed at random, so processes that crashed together do not restart in step.</summary>
    public const double Jitter = 0.2;

    private readonly Random _random = random ?? Random.Shared;

    public RestartPolicy Policy => policy;

    /// <summary>Restarts in a row since the last stable run (or since <see cref="Reset"/>).</summary>
    public int ConsecutiveRestarts { get; private set; }

    /// <summary>When the restart decided last is due; null when none is pending.</summary>
    public DateTimeOffset? NextRestartAt { get; private set; }

    /// <summary>Decides whether and when the process starts again after <paramref name="exit"/>, and counts the restart.</summary>
    public RestartDecision Decide(ProcessExit exit)
    {
        NextRestartAt = null;
        if (exit.StopRequested)
        {
            return RestartDecision.No; // a stop on request resets nothing and never restarts
        }

        if (exit.Uptime >= policy.StableAfter)
        {
            ConsecutiveRestarts = 0;
        }

        var wanted = policy.Mode switch
        {
            RestartMode.Always => true,
            RestartMode.OnFailure => exit.IsFailure,
            _ => false,
        };
        if (!wanted)
        {
            return RestartDecision.No;
        }

        if (policy.MaxRestarts > 0 && ConsecutiveRestarts >= policy.MaxRestarts)
        {
            var what = exit.LivenessFailed ? "its liveness probe failed"
                : exit.ExitCode is { } code ? $"exited with code {code}"
                : "was killed";
            return RestartDecision.No with
            {
                GaveUpReason = $"{what} after {ConsecutiveRestarts} restarts in a row; not restarting (max_restarts {policy.MaxRestarts})",
            };
        }

        ConsecutiveRestarts++;
        var delay = DelayFor(ConsecutiveRestarts);
        var at = time.GetUtcNow() + delay;
        NextRestartAt = at;
        return new RestartDecision(true, at, delay, null);
    }

    /// <summary>The pending restart will not happen (the process was stopped while waiting); the count stays.</summary>
    public void Cancel() => NextRestartAt = null;

    /// <summary>Forgets the restarts in a row, e.g. when a user starts the process by hand after it gave up.</summary>
    public void Reset()
    {
        ConsecutiveRestarts = 0;
        NextRestartAt = null;
    }

    /// <summary>The wait before restart number <paramref name="restart"/> in a row (1-based), jitter included.</summary>
    private TimeSpan DelayFor(int restart)
    {
        var backoff = Math.Max(policy.Backoff.Ticks, 0);
        var ceiling = Math.Max(policy.MaxBackoff.Ticks, backoff);
        // In doubles: 2^(n-1) overflows long ticks long before max_restarts could stop it.
        var grown = Math.Min(backoff * Math.Pow(2, restart - 1), ceiling);
        var jittered = grown * (1 + (Jitter * ((2 * _random.NextDouble()) - 1)));
        // max_backoff is what users read as the longest wait: jitter never pushes past it.
        return TimeSpan.FromTicks((long)Math.Min(jittered, ceiling));
    }
}
