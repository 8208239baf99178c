namespace Brummer.Cli.Commands;

internal static class CommandOutput
{
    /// <summary>Exit code for usage and startup errors (bad option, bad package.json, port in use, store unreachable).</summary>
    public const int UsageError = 2;

    /// <summary>Writes one clear line to stderr and returns <see cref="UsageError"/>.</summary>
    public static int Fail(string message)
    {
        Console.Error.WriteLine($"brummer: {message}");
        return UsageError;
    }

    /// <summary>Writes one warning line to stderr: something runs, but less safely than it could.</summary>
    public static void Warn(string message) => Console.Error.WriteLine($"brummer: warning: {message}");
}
