namespace Brummer.Grains.Processes.Health;

/// <summary>What one check found, in a few words a user can act on (e.g. <c>GET http://127.0.0.1:3000/health answered 503</c>).</summary>
public sealed record ProbeOutcome(bool Passed, string Reason)
{
    public static ProbeOutcome Pass(string reason) => new(true, reason);

    public static ProbeOutcome Fail(string reason) => new(false, reason);
}

/// <summary>
/// One kind of probe check (http_get, tcp, exec, log). A check never overlaps itself: <see cref="ProbeLoop"/> awaits
/// each one before scheduling the next. It must honour the token (the probe's timeout, or the process stopping) and
/// leave nothing running when it returns or throws.
/// </summary>
public interface IProbeCheck
{
    /// <summary>What it checks, e.g. <c>GET http://127.0.0.1:3000/health</c>; used in timeout and error reasons.</summary>
    string Description { get; }

    /// <summary>Checks once; a timeout or stop surfaces as <see cref="OperationCanceledException"/>.</summary>
    ValueTask<ProbeOutcome> CheckAsync(CancellationToken cancellationToken);
}

/// <summary>A check whose answer can change between periods without being asked (the log check), so the loop need not wait out the period.</summary>
public interface ISignalingProbeCheck : IProbeCheck
{
    /// <summary>Completes once, when the answer may have changed.</summary>
    Task Signaled { get; }
}

internal static class ProbeText
{
    private const int MaxDetail = 200;

    public static string Seconds(TimeSpan span) => $"{span.TotalSeconds:0.###} s";

    /// <summary>The first line that says something, trimmed and cut short enough for a status field.</summary>
    public static string? FirstLine(string? text)
    {
        if (string.IsNullOrEmpty(text))
        {
            return null;
        }

        foreach (var line in text.AsSpan().EnumerateLines())
        {
            var trimmed = line.Trim();
            if (!trimmed.IsEmpty)
            {
                return trimmed.Length <= MaxDetail ? trimmed.ToString() : string.Concat(trimmed[..MaxDetail], "…");
            }
        }

        return null;
    }
}
