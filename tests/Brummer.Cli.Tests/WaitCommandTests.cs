using System.Globalization;
using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary><c>brummer wait</c> and <c>brummer run --wait</c> as a shell script uses them, against a real <c>brummer up</c>.</summary>
public sealed class WaitCommandTests
{
    [Fact]
    public async Task WaitAndRunWait_AgainstRunningGateway_AnswerOnceTheStateHolds_AndExit1WithTheReasonOtherwise()
    {
        using var stack = new StackDirectory(new Dictionary<string, string>
        {
            ["web"] = Dummy.Command("say:web listening", "sleep"),
            ["task"] = Dummy.Command("say:task done", "exit:0"),
            ["crash"] = Dummy.Command("err:Error: no config", "exit:2"),
        });
        var port = Silo.FreePort.Next();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo");
        await brummer.McpUrlAsync();
        var gateway = $"http://127.0.0.1:{port}";

        var run = await BrummerProcess.RunAsync("run", "web", "--wait", "ready", "--timeout", "30", "--gateway", gateway);
        var running = await BrummerProcess.RunAsync("wait", "web", "--for", "running", "--node", "solo", "--json", "--gateway", gateway);
        var timeout = await BrummerProcess.RunAsync("wait", "web", "--for", "exited", "--timeout", "1", "--gateway", gateway);
        await BrummerProcess.RunAsync("run", "task", "--gateway", gateway);
        var succeeded = await BrummerProcess.RunAsync("wait", "task", "--for", "succeeded", "--gateway", gateway);
        await BrummerProcess.RunAsync("run", "crash", "--gateway", gateway);
        await BrummerProcess.RunAsync("wait", "crash", "--for", "failed", "--gateway", gateway);
        var failed = await BrummerProcess.RunAsync("wait", "crash", "--for", "ready", "--timeout", "600", "--gateway", gateway);
        var tooLong = await BrummerProcess.RunAsync("wait", "web", "--for", "ready", "--timeout", "601", "--gateway", gateway);
        var unknown = await BrummerProcess.RunAsync("wait", "web", "--for", "healthy", "--gateway", gateway);

        Assert.Equal(0, run.ExitCode);
        Assert.Matches(@"^web on solo: running \(pid \d+\)$", run.Output);
        Assert.Equal(0, running.ExitCode);
        var json = JsonDocument.Parse(running.Output).RootElement;
        Assert.Equal("running", json.GetProperty("condition").GetString());
        Assert.Equal("web", json.GetProperty("process").GetProperty("name").GetString());
        Assert.Equal(1, timeout.ExitCode);
        Assert.Equal("brummer: 'web' on node 'solo' has not exited after 1 s: status running, health none, last line: web listening.", timeout.Output);
        Assert.Equal(0, succeeded.ExitCode);
        Assert.Matches(@"^task on solo: succeeded, exit code 0 \(succeeded after \d+\.\d s\)$", succeeded.Output);
        Assert.Equal(1, failed.ExitCode);
        Assert.Equal("brummer: 'crash' on node 'solo' failed (exit code 2), last line: Error: no config; it will not be ready unless it is run again.", failed.Output);
        Assert.Equal(1, tooLong.ExitCode);
        Assert.Equal("brummer: 'timeout' must be between 0 and 600 seconds (default 30); got 601. To wait longer, wait again.", tooLong.Output);
        Assert.NotEqual(0, unknown.ExitCode);
        Assert.Contains("healthy", unknown.Output, StringComparison.Ordinal);
        Assert.Equal(0, (await BrummerProcess.RunAsync("stop", "web", "--gateway", gateway)).ExitCode);
    }

    [Fact]
    public async Task Help_ExplainsWaitAndRunWait()
    {
        var wait = await BrummerProcess.RunAsync("wait", "--help");
        var run = await BrummerProcess.RunAsync("run", "--help");
        var root = await BrummerProcess.RunAsync("--help");

        Assert.Equal(0, wait.ExitCode);
        foreach (var text in new[] { "--for", "running", "ready", "exited", "succeeded", "failed", "--timeout", "default 30, up to 600", "--node" })
        {
            Assert.Contains(text, wait.Output, StringComparison.Ordinal);
        }

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("--wait", run.Output, StringComparison.Ordinal);
        Assert.Contains("--timeout", run.Output, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^\s+wait\b", root.Output);
    }
}
