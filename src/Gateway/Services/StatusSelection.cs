using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Services;

/// <summary>
/// Which process statuses a status answer keeps: a comma-separated list of wire names (<c>failed,restarting</c>), or,
/// prefixed with <c>!</c>, every status but those (<c>!running</c>: whatever is not running). Parsed once, a bit set.
/// </summary>
public readonly record struct StatusSelection(int Kept)
{
    private static readonly ProcessStatus[] All = Enum.GetValues<ProcessStatus>();

    public static string Names => string.Join(", ", All.Select(s => s.ToWireName()));

    public bool Keeps(ProcessStatus status) => (Kept & Bit(status)) != 0;

    /// <summary>Null when <paramref name="value"/> is omitted; a clear error naming the valid statuses when it is wrong.</summary>
    public static StatusSelection? Parse(string? value, string argument)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        var text = value.Trim();
        var negated = text.StartsWith('!');
        var kept = 0;
        foreach (var part in (negated ? text[1..] : text).Split(',', StringSplitOptions.TrimEntries))
        {
            var status = Array.Find(All, s => string.Equals(s.ToWireName(), part, StringComparison.OrdinalIgnoreCase));
            if (status == default)
            {
                throw new GatewayException(
                    GatewayErrorKind.BadRequest,
                    $"'{argument}' takes process statuses separated by commas ({Names}), or '!' before them for every other one (e.g. !running); got {InputText.Quote(part)}.");
            }

            kept |= Bit(status);
        }

        return new StatusSelection(negated ? All.Aggregate(0, (bits, s) => bits | Bit(s)) & ~kept : kept);
    }

    private static int Bit(ProcessStatus status) => 1 << (int)status;
}
