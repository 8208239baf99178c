using System.CommandLine;
using System.CommandLine.Invocation;

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

    /// <summary>
    /// A usage error (bad or missing option) is the error lines and exit 2, like every other startup error, not a
    /// screen of help burying them; a group called without its verb (<c>brummer</c>, <c>brummer token</c>) still shows
    /// its help, since that is what the user needs to pick one.
    /// </summary>
    /// <returns><see cref="UsageError"/> once reported, or null when the command line parsed.</returns>
    public static int? UsageErrors(ParseResult parse)
    {
        ArgumentNullException.ThrowIfNull(parse);
        if (parse.Action is not ParseErrorAction errors)
        {
            return null;
        }

        if (parse.CommandResult.Command.Action is null)
        {
            errors.Invoke(parse);
            return UsageError;
        }

        foreach (var error in parse.Errors)
        {
            Console.Error.WriteLine($"brummer: {error.Message}");
        }

        return UsageError;
    }

    /// <summary>Writes one warning line to stderr: something runs, but less safely than it could.</summary>
    public static void Warn(string message) => Console.Error.WriteLine($"brummer: warning: {message}");
}
