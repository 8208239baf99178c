using System.CommandLine;
using Brummer.Cli.Commands;

namespace Brummer.Cli.Tests;

/// <summary>The CLI as a new user first meets it: help, and mistakes on the command line, with no environment set.</summary>
public sealed class CliUsageTests
{
    /// <summary>Every command's path, from the same definition the program parses with (a new verb is covered at once).</summary>
    public static TheoryData<string> Commands()
    {
        var paths = new TheoryData<string>();
        void Walk(Command command, string path)
        {
            foreach (var sub in command.Subcommands.Where(c => !c.Hidden))
            {
                var subPath = path.Length == 0 ? sub.Name : $"{path} {sub.Name}";
                paths.Add(subPath);
                Walk(sub, subPath);
            }
        }

        Walk(BrummerCommands.Build(), string.Empty);
        return paths;
    }

    [Theory]
    [MemberData(nameof(Commands))]
    public async Task Help_EveryCommandWithNoEnvironment_PrintsUsageAndExitsZero(string command)
    {
        var (exitCode, output) = await BrummerProcess.RunAsync([.. command.Split(' '), "--help"]);

        Assert.True(exitCode == 0, $"brummer {command} --help exited {exitCode}:\n{output}");
        Assert.Contains("Usage:", output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unhandled exception", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("node")]
    [InlineData("gateway")]
    public async Task ClusterRole_WithoutCluster_OneLineAndUsageExitCode(string role)
    {
        var (exitCode, output) = await BrummerProcess.RunAsync(role);

        Assert.Equal(2, exitCode);
        Assert.Equal(
            "brummer: --cluster is missing: pass --cluster redis://host:port (or postgres://..., dev://host:port) or set $BRUMMER_CLUSTER.",
            output);
    }

    [Fact]
    public async Task ClusterRole_UnusableClusterVariable_OneLineNamingTheVariable()
    {
        var (exitCode, output) = await BrummerProcess.RunAsync(new Dictionary<string, string> { ["BRUMMER_CLUSTER"] = "bogus" }, "gateway");

        Assert.Equal(2, exitCode);
        Assert.Single(output.Split('\n'));
        Assert.StartsWith("brummer: $BRUMMER_CLUSTER: --cluster value is not usable", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_BadOption_OneLineAndUsageExitCode()
    {
        var (exitCode, output) = await BrummerProcess.RunAsync("up", "--port", "99999");

        Assert.Equal(2, exitCode);
        Assert.Equal("brummer: --port 99999 is not a TCP port (0-65535).", output);
    }

    [Fact]
    public async Task Completion_Bash_IsValidAndCompletesVerbsAndTheirOptions()
    {
        var (exitCode, script) = await BrummerProcess.RunAsync("completion", "bash");
        var file = Path.Combine(Path.GetTempPath(), $"brummer-completion-{Guid.NewGuid():n}.bash");
        await File.WriteAllTextAsync(file, script, TestContext.Current.CancellationToken);
        try
        {
            Assert.Equal(0, exitCode);
            Assert.Equal((0, string.Empty), await BashAsync("-n", file));
            Assert.Equal((0, "status\nstop"), await BashAsync("-c", $"source {file}; COMP_WORDS=(brummer st); COMP_CWORD=1; _brummer; printf '%s\\n' \"${{COMPREPLY[@]}}\""));
            Assert.Equal((0, "--wait"), await BashAsync("-c", $"source {file}; COMP_WORDS=(brummer --gateway http://x run web --wa); COMP_CWORD=5; _brummer; printf '%s\\n' \"${{COMPREPLY[@]}}\""));
            Assert.Equal((0, "create\nlist\nrevoke"), await BashAsync("-c", $"source {file}; COMP_WORDS=(brummer token ''); COMP_CWORD=2; _brummer; printf '%s\\n' \"${{COMPREPLY[@]}}\" | grep -v -- '^--'"));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Theory]
    [InlineData("zsh", "bashcompinit")]
    [InlineData("fish", "complete -c brummer -n 'not __fish_seen_subcommand_from")]
    public async Task Completion_ZshAndFish_NameTheVerbs(string shell, string marker)
    {
        var (exitCode, script) = await BrummerProcess.RunAsync("completion", shell);

        Assert.Equal(0, exitCode);
        Assert.Contains(marker, script, StringComparison.Ordinal);
        foreach (var verb in new[] { "up", "status", "run", "urls", "completion" })
        {
            Assert.Contains(shell == "fish" ? $" -a {verb} " : $"\" {verb}\")", script, StringComparison.Ordinal);
        }
    }

    private static async Task<(int ExitCode, string Output)> BashAsync(params string[] args)
    {
        var start = new System.Diagnostics.ProcessStartInfo("bash", args) { RedirectStandardOutput = true, RedirectStandardError = true };
        using var bash = System.Diagnostics.Process.Start(start)!;
        var output = bash.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = bash.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await bash.WaitForExitAsync(TestContext.Current.CancellationToken);
        return (bash.ExitCode, ((await output) + (await error)).Trim().ReplaceLineEndings("\n"));
    }
}
