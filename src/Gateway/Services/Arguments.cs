namespace Brummer.Gateway.Services;

/// <summary>
/// The limits every entry point (MCP tool or JSON route) applies to what a caller sends, each with one clear message.
/// Checked at the gateway, so a bad argument costs no node anything.
/// </summary>
public static class Arguments
{
    public const int MaxNameLength = 256;
    public const int MaxQueryLength = 4096;
    public const int MaxCount = 1_000;
    public const int DefaultWaitSeconds = 30;
    public const int MaxWaitSeconds = 600;

    /// <summary>A script or node name, or null when omitted (empty counts as omitted).</summary>
    public static string? OptionalName(string? value, string argument)
    {
        if (string.IsNullOrEmpty(value))
        {
            return null;
        }

        if (value.Length > MaxNameLength)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' is {value.Length:N0} characters long; names have at most {MaxNameLength}. Got {InputText.Quote(value)}.");
        }

        return value;
    }

    public static string RequiredName(string? value, string argument, string what) =>
        OptionalName(value, argument) is { } name && !string.IsNullOrWhiteSpace(name)
            ? name
            : throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' is required: {what}.");

    /// <summary>A number of lines or results: <paramref name="fallback"/> when omitted, else 1..<see cref="MaxCount"/>.</summary>
    public static int Count(int? value, string argument, int fallback) => value switch
    {
        null => fallback,
        < 1 or > MaxCount => throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' must be between 1 and {MaxCount}; got {value}."),
        { } count => count,
    };

    /// <summary>How long a wait may last: <see cref="DefaultWaitSeconds"/> when omitted, else 0 (look once) to <see cref="MaxWaitSeconds"/>.</summary>
    public static TimeSpan WaitTimeout(int? seconds, string argument) => seconds switch
    {
        null => TimeSpan.FromSeconds(DefaultWaitSeconds),
        < 0 or > MaxWaitSeconds => throw new GatewayException(
            GatewayErrorKind.BadRequest,
            $"'{argument}' must be between 0 and {MaxWaitSeconds} seconds (default {DefaultWaitSeconds}); got {seconds}. To wait longer, wait again."),
        { } value => TimeSpan.FromSeconds(value),
    };

    /// <summary>The longest claim, in minutes (a day): a claim is for a while, never for good.</summary>
    public const double MaxClaimMinutes = 1_440;

    /// <summary>How long a claim lasts: required, more than 0 and at most <see cref="MaxClaimMinutes"/> (fractions allowed: 0.5 is 30 s).</summary>
    public static TimeSpan ClaimDuration(double? minutes, string argument) => minutes switch
    {
        null => throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' is required: how long the claim lasts, more than 0 and at most {MaxClaimMinutes:0} (24 h)."),
        { } value when double.IsNaN(value) || value <= 0 || value > MaxClaimMinutes => throw new GatewayException(
            GatewayErrorKind.BadRequest,
            $"'{argument}' must be more than 0 and at most {MaxClaimMinutes:0} (24 h); got {value.ToString(System.Globalization.CultureInfo.InvariantCulture)}. Claim again to extend your claim."),
        { } value => TimeSpan.FromMinutes(value),
    };

    /// <summary>A claim's note: optional, one line of at most <see cref="Grains.Abstractions.ProcessClaim.MaxNoteLength"/> characters, with no control characters.</summary>
    public static string? ClaimNote(string? value, string argument)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (value.Length > Grains.Abstractions.ProcessClaim.MaxNoteLength)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' is {value.Length:N0} characters long; a claim's note has at most {Grains.Abstractions.ProcessClaim.MaxNoteLength}.");
        }

        if (value.Any(char.IsControl))
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' must be one line of text without control characters; got {InputText.Quote(value)}.");
        }

        return value.Trim();
    }

    public static long? Sequence(long? value, string argument) => value is < 0
        ? throw new GatewayException(GatewayErrorKind.BadRequest, $"'{argument}' must be 0 or more (a last_seq from an earlier answer); got {value}.")
        : value;

    public static string Query(string? value)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, "'query' is required: the text (or, with regex: true, the .NET regular expression) to look for.");
        }

        if (value.Length > MaxQueryLength)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, $"'query' is {value.Length:N0} characters long; at most {MaxQueryLength:N0} are accepted.");
        }

        return value;
    }
}
