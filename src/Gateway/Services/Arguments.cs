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
