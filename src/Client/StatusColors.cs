namespace Brummer.Client;

/// <summary>
/// Colour for tables on a terminal: a process's status and health at a glance. Plain text when stdout is not a terminal
/// (piped into grep or a file), when NO_COLOR is set (https://no-color.org), or on a dumb terminal.
/// </summary>
public static class StatusColors
{
    private const string Reset = "\e[0m";

    public static bool Enabled { get; } =
        !Console.IsOutputRedirected &&
        string.IsNullOrEmpty(Environment.GetEnvironmentVariable("NO_COLOR")) &&
        Environment.GetEnvironmentVariable("TERM") is not "dumb";

    /// <summary>The ANSI colour of a status or health value, or null to leave it plain.</summary>
    public static string? Of(string value) => value switch
    {
        "running" or "succeeded" or "ready" => "\e[32m",
        "failed" or "lost" or "unhealthy" => "\e[31m",
        "pending" or "starting" or "stopping" or "restarting" => "\e[33m",
        "stopped" => "\e[90m",
        _ => null,
    };

    /// <summary><paramref name="padded"/> (the cell already padded to its column) in <paramref name="value"/>'s colour.</summary>
    public static string Paint(string padded, string value)
    {
        ArgumentNullException.ThrowIfNull(padded);
        return Enabled && Of(value) is { } colour ? string.Concat(colour, padded.TrimEnd(), Reset, padded.AsSpan(padded.TrimEnd().Length)) : padded;
    }
}
