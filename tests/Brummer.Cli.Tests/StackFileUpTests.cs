using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary><c>brummer up</c> on a directory described by a brummer.yaml alone.</summary>
public sealed class StackFileUpTests
{
    private static string Port() => Silo.FreePort.Next().ToString(CultureInfo.InvariantCulture);

    private static string YamlQuoted(string text) => $"'{text.Replace("'", "''", StringComparison.Ordinal)}'";

    [Fact]
    public async Task Up_OnlyBrummerYaml_ListsTheNodesProcessesAndRunsACommand()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", $"""
            processes:
              hello:
                command: {YamlQuoted(Dummy.Command("say:hello from yaml", "sleep"))}
                autostart: false
              elsewhere:
                command: ./never-run-here
                node: other
            """));
        var port = Port();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--node", "solo");
        await brummer.McpUrlAsync();
        var gateway = $"http://127.0.0.1:{port}";

        var scripts = await BrummerProcess.RunAsync("scripts", "--json", "--gateway", gateway);
        var run = await BrummerProcess.RunAsync("run", "hello", "--gateway", gateway);
        var lastLine = await Eventually.UntilAsync(
            async () =>
            {
                var status = await BrummerProcess.RunAsync("status", "--json", "--name", "hello", "--gateway", gateway);
                return JsonDocument.Parse(status.Output).RootElement.GetProperty("processes")[0].GetProperty("last_line").GetString();
            },
            line => line == "hello from yaml",
            "the yaml command's output in its status");
        var stop = await BrummerProcess.RunAsync("stop", "hello", "--gateway", gateway);

        Assert.Equal(0, scripts.ExitCode);
        var listed = Assert.Single(JsonDocument.Parse(scripts.Output).RootElement.GetProperty("scripts").EnumerateArray());
        Assert.Equal("hello", listed.GetProperty("name").GetString());
        Assert.Equal("brummer.yaml", listed.GetProperty("source").GetString());
        Assert.Equal(Dummy.Command("say:hello from yaml", "sleep"), listed.GetProperty("command").GetString());
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("hello on solo: running (pid ", run.Output, StringComparison.Ordinal);
        Assert.Equal("hello from yaml", lastLine);
        Assert.Equal(0, stop.ExitCode);
    }

    [Fact]
    public async Task Status_StackComingUp_ShowsHealthAndWhatAPendingProcessWaitsFor()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", $"""
            processes:
              db:
                command: {YamlQuoted(Dummy.Command("say:database system is ready", "sleep"))}
                readiness_probe:
                  log:
                    pattern: 'system is ready'
              api:
                command: {YamlQuoted(Dummy.Command("sleep"))}
                depends_on:
                  db:
                    condition: process_healthy
                  other/migrate:
                    condition: process_completed_successfully
              migrate:
                command: {YamlQuoted(Dummy.Command("exit:0"))}
                node: other
            """));
        var port = Port();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--node", "solo");
        await brummer.McpUrlAsync();
        var gateway = $"http://127.0.0.1:{port}";

        var status = await Eventually.UntilAsync(
            () => BrummerProcess.RunAsync("status", "--gateway", gateway),
            s => Regex.IsMatch(s.Output, @"db\s+running\s+ready") && s.Output.Contains("waiting for other/migrate", StringComparison.Ordinal),
            "db ready and api pending in `brummer status`");

        Assert.Equal(0, status.ExitCode);
        Assert.Matches(@"NODE\s+NAME\s+STATUS\s+HEALTH\s+PID", status.Output);
        Assert.Matches(@"solo\s+db\s+running\s+ready\s+\d+", status.Output);
        Assert.Matches(@"solo\s+api\s+pending\s+-\s+-\s+.*waiting for other/migrate \(process_completed_successfully\): ", status.Output);

        var pending = await BrummerProcess.RunAsync("status", "--status", "pending", "--gateway", gateway);
        var failed = await BrummerProcess.RunAsync("status", "--status", "failed", "--gateway", gateway);
        var wrong = await BrummerProcess.RunAsync("status", "--status", "crashed", "--gateway", gateway);
        Assert.Matches(@"solo\s+api\s+pending", pending.Output);
        Assert.DoesNotMatch(@"solo\s+db\s+", pending.Output);
        Assert.Equal("No process matches.", failed.Output.Trim());
        Assert.NotEqual(0, wrong.ExitCode);
        Assert.Contains("'status' takes process statuses separated by commas", wrong.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_BrummerYamlWithUnknownKey_FailsWithFileLineAndColumn()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", "processes:\n  web:\n    comand: ./web\n"));

        var (exitCode, output) = await BrummerProcess.RunAsync("up", "--dir", stack.Path, "--port", Port());

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{stack.File("brummer.yaml")}:3:5: unknown key 'comand' in processes.web (did you mean 'command'?)", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Node_DirectoryWithNeitherFile_SaysWhatItLooksFor()
    {
        using var stack = StackDirectory.WithFiles(("README.md", "nothing to run"));

        var (exitCode, output) = await BrummerProcess.RunAsync("node", "--name", "a", "--dir", stack.Path, "--cluster", $"dev://127.0.0.1:{Port()}");

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"{stack.Path}: no brummer.yaml or package.json", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }
}
