using System.Globalization;
using System.Text.RegularExpressions;

namespace Brummer.Gateway.Services;

/// <summary>Reads a <c>since</c> argument: an ISO-8601 time, or a duration back from now such as <c>90s</c>, <c>10m</c>, <c>2h</c>, <c>1d</c>.</summary>
public static partial class SinceParser
{
    public static DateTimeOffset? Parse(string? since, DateTimeOffset now)
    {
        if (string.IsNullOrWhiteSpace(since))
        {
            return null;
        }

        var text = since.Trim();
        if (Duration().Match(text) is { Success: true } match)
        {
            var amount = long.Parse(match.Groups["n"].Value, CultureInfo.InvariantCulture);
            var unit = match.Groups["unit"].Value switch
            {
                "ms" => TimeSpan.TicksPerMillisecond,
                "s" => TimeSpan.TicksPerSecond,
                "m" => TimeSpan.TicksPerMinute,
                "h" => TimeSpan.TicksPerHour,
                _ => TimeSpan.TicksPerDay,
            };

            // 999999999d reaches back past year 1: that is "everything", not an error.
            var back = (now.UtcTicks - DateTimeOffset.MinValue.UtcTicks) / unit;
            return amount >= back ? DateTimeOffset.MinValue : now - TimeSpan.FromTicks(amount * unit);
        }

        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var time))
        {
            return time;
        }

        throw new GatewayException(
            GatewayErrorKind.BadRequest,
            $"'since' must be an ISO-8601 time (2026-11-28T09:30:00Z) or a duration back from now (90s, 10m, 2h, 1d); got {InputText.Quote(since)}.");
    }

    [GeneratedRegex(@"^(?<n>\d{1,9})(?<unit>ms|s|m|h|d)$", RegexOptions.CultureInvariant, matchTimeoutMilliseconds: 100)]
    private static partial Regex Duration();
}
