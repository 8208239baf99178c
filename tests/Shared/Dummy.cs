using System.Globalization;

namespace Brummer.Tests;

/// <summary>Locates the fake child program (tests/Brummer.Tests.Dummy) built next to the test assembly.</summary>
public static class Dummy
{
    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "Brummer.Tests.Dummy.dll");

    /// <summary>A shell command line that runs the dummy with the given steps (for package.json scripts).</summary>
    public static string Command(params string[] steps) =>
        $"dotnet \"{Dll}\" {string.Join(' ', steps.Select(s => s.Contains(' ', StringComparison.Ordinal) ? $"\"{s}\"" : s))}";

    public static int ReadPid(string path) => int.Parse(File.ReadAllText(path), CultureInfo.InvariantCulture);
}
