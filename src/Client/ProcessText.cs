using System.Globalization;
using Brummer.Gateway.Contracts;

namespace Brummer.Client;

/// <summary>How a process reads in a table cell or one line of output.</summary>
public static class ProcessText
{
    /// <summary>"claimed by ada until 2026-11-29 14:00:00: demo" (the time in the reader's zone).</summary>
    public static string Describe(ClaimDto claim)
    {
        ArgumentNullException.ThrowIfNull(claim);
        return string.Create(CultureInfo.InvariantCulture, $"claimed by {claim.By} until {claim.Until.ToLocalTime():yyyy-MM-dd HH:mm:ss}{(claim.Note is { Length: > 0 } text ? ": " + text : string.Empty)}");
    }

    /// <summary>The one thing worth reading about a process: why it waits or failed, else what it last printed.</summary>
    public static string Detail(ProcessDto p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.Claim is { } claim ? $"[{Describe(claim)}] {DetailOf(p)}".TrimEnd() : DetailOf(p);
    }

    /// <summary>Where it serves: the first URL it printed, and how many more there are (<c>brummer urls</c> lists them).</summary>
    public static string Url(ProcessDto p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return p.Urls.Count switch
        {
            0 => "-",
            1 => p.Urls[0],
            _ => $"{p.Urls[0]} (+{p.Urls.Count - 1})",
        };
    }

    /// <summary>How long ago it started (or ended, once it did): "12s ago", "5m ago", "1.5h ago".</summary>
    public static string Since(ProcessDto p)
    {
        ArgumentNullException.ThrowIfNull(p);
        var at = p.ExitedAt ?? p.StartedAt;
        if (at is null)
        {
            return "-";
        }

        var age = DateTime.UtcNow - at.Value;
        var text = age.TotalSeconds < 60 ? $"{age.TotalSeconds:0}s" : age.TotalMinutes < 60 ? $"{age.TotalMinutes:0}m" : $"{age.TotalHours:0.#}h";
        return $"{text} ago";
    }

    private static string DetailOf(ProcessDto p) => p switch
    {
        { Status: "pending", WaitingFor: { } waiting } => $"waiting for {waiting}",
        { Status: "restarting", NextRestartAt: { } at } => $"next start in {Math.Max(0, (at - DateTime.UtcNow).TotalSeconds):0}s" + (p.Reason is null ? string.Empty : $" ({p.Reason})"),
        { Reason: { } reason } => reason,
        { WaitingFor: { } dependency } => $"dependency {dependency}",
        _ => p.LastLine ?? string.Empty,
    };
}
