using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text;

namespace Brummer.LoadTest;

/// <summary>A run's findings as the markdown pasted into docs/benchmarks.md.</summary>
internal interface IReport
{
    string ToMarkdown(string[] args);
}

/// <summary>The rows every report starts with: what machine, what code, what command.</summary>
internal static class RunDescription
{
    public static void AppendMachine(StringBuilder s, LoadTestOptions options, string[] args)
    {
        s.AppendLine("| | |");
        s.AppendLine("|---|---|");
        s.AppendLine(Invariant($"| `nproc` | {Environment.ProcessorCount} |"));
        s.AppendLine(Invariant($"| CPU (`/proc/cpuinfo` model name) | {CpuModel()} |"));
        s.AppendLine(Invariant($"| RAM (`MemTotal`) | {MemTotal()} |"));
        s.AppendLine(Invariant($"| OS, runtime | {OsName()}; {RuntimeInformation.FrameworkDescription}, {(System.Runtime.GCSettings.IsServerGC ? "server" : "workstation")} GC |"));
        s.AppendLine(Invariant($"| code | {options.Code ?? GitDescription()} |"));
        s.AppendLine(Invariant($"| command | `dotnet run -c Release --project benchmarks/Brummer.LoadTest --{string.Concat(args.Select(a => " " + Quote(a)))}` |"));
    }

    public static string Verdict(bool met) => met ? "met" : "**missed**";

    public static string Trim(string text) => (text.Length > 160 ? text[..160] + "…" : text).Replace('`', '\'').Replace('\n', ' ');

    private static string Quote(string arg) => arg.Any(c => char.IsWhiteSpace(c) || c is '\'' or '"' or '(' or ')') ? $"'{arg.Replace("'", "'\\''", StringComparison.Ordinal)}'" : arg;

    private static string CpuModel() =>
        File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? "?";

    private static string MemTotal()
    {
        var line = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
        var kb = line is null ? 0 : long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        return Invariant($"{kb / 1024.0 / 1024.0:0.0} GiB");
    }

    private static string OsName() =>
        File.Exists("/etc/os-release")
            ? File.ReadLines("/etc/os-release").FirstOrDefault(l => l.StartsWith("PRETTY_NAME=", StringComparison.Ordinal))?.Split('=', 2)[1].Trim('"') ?? "Linux"
            : RuntimeInformation.OSDescription;

    /// <summary>The commit of the working directory's repository, and whether src/ had uncommitted changes.</summary>
    private static string GitDescription()
    {
        var head = Git("rev-parse --short HEAD");
        if (head is null)
        {
            return "unknown (not run from the repository)";
        }

        var dirty = Git("status --porcelain -- src");
        return dirty is { Length: > 0 } ? $"{head} with uncommitted changes in src/" : $"{head}, src/ clean";
    }

    private static string? Git(string arguments)
    {
        try
        {
            using var git = Process.Start(new ProcessStartInfo("git", arguments) { RedirectStandardOutput = true, RedirectStandardError = true })!;
            var text = git.StandardOutput.ReadToEnd().Trim();
            git.WaitForExit();
            return git.ExitCode == 0 ? text : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null;
        }
    }

    public static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
