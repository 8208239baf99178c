using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using Brummer.Gateway.Contracts;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>`brummer ui` in a real terminal (tmux), driven by keys against a real `brummer up`.</summary>
public sealed class UiTerminalTests
{
    private const string TmuxPath = "/usr/bin/tmux";

    [Fact]
    public async Task Ui_InTmux_ShowsEveryScript_RunsFollowsAndStopsTheSelectedOne_AndQQuits()
    {
        if (!File.Exists(TmuxPath))
        {
            Assert.Skip($"tmux is not installed ({TmuxPath}); `apt-get install -y tmux` to run this test.");
        }

        using var stack = new StackDirectory(new Dictionary<string, string>
        {
            ["api"] = Dummy.Command("say:api up", "sleep"),
            ["web"] = Dummy.Command("say:web listening", "sleep"),
        });
        var port = Silo.FreePort.Next();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo");
        await brummer.McpUrlAsync();
        var gateway = $"http://127.0.0.1:{port}";
        using var http = new HttpClient { BaseAddress = new Uri(gateway) };
        var exitFile = stack.File("ui-exit-code");
        await using var tmux = new Tmux();

        // The exit code is written by the shell once brummer ui has ended, so the test sees it after the session is gone.
        await tmux.StartAsync($"dotnet '{BrummerProcess.Dll}' ui --gateway {gateway}; echo $? > '{exitFile}'");
        await tmux.PaneUntilAsync(p => Row(p, "api") is { } api && api.Contains("not run", StringComparison.Ordinal) && Row(p, "web") is not null, "both scripts listed as not run");
        await tmux.SendKeysAsync("Down");
        await tmux.PaneUntilAsync(p => Row(p, "web")?.StartsWith('>') == true, "web selected");
        await tmux.SendKeysAsync("r");
        var running = await tmux.PaneUntilAsync(
            p => Row(p, "web")?.Contains("running", StringComparison.Ordinal) == true && p.Contains("web on solo is", StringComparison.Ordinal),
            "web shown running and the run answered");
        var webWhileShownRunning = await StatusAsync(http, "web");
        await tmux.SendKeysAsync("Enter");
        var log = await tmux.PaneUntilAsync(p => p.Contains("output of web on solo", StringComparison.Ordinal) && p.Contains("\nweb listening", StringComparison.Ordinal), "web's output followed");
        await tmux.SendKeysAsync("Escape");
        await tmux.PaneUntilAsync(p => Row(p, "web")?.StartsWith('>') == true, "back to the table, web still selected");
        await tmux.SendKeysAsync("s");
        // The table may show the stop (from its poll) before the stop call's answer reaches the status line: wait for both.
        var stopped = await tmux.PaneUntilAsync(
            p => Row(p, "web")?.Contains("stopped", StringComparison.Ordinal) == true && p.Contains("stop: web on solo", StringComparison.Ordinal),
            "web shown stopped and the stop answered");
        var webAfterShownStopped = await StatusAsync(http, "web");
        await tmux.SendKeysAsync("q");
        await Eventually.UntilAsync(tmux.HasSessionAsync, alive => !alive, "the tmux session to end after q");

        Assert.Equal("running", webWhileShownRunning);
        Assert.Matches(@"web on solo is running \(pid \d+\)", running);
        Assert.Contains("not run", Row(running, "api"), StringComparison.Ordinal); // only the selected script was run
        Assert.DoesNotContain("LAST LINE", log, StringComparison.Ordinal); // the log replaced the table
        Assert.Equal("stopped", webAfterShownStopped);
        Assert.Contains("stop: web on solo is stopped", stopped, StringComparison.Ordinal);
        Assert.Equal("0", (await File.ReadAllTextAsync(await Eventually.FileAsync(exitFile), TestContext.Current.CancellationToken)).Trim());
    }

    [Fact]
    public async Task Ui_InTmux_GatewayDown_SaysSoAndKeepsTrying_AndCtrlCExitsCleanly()
    {
        if (!File.Exists(TmuxPath))
        {
            Assert.Skip($"tmux is not installed ({TmuxPath}); `apt-get install -y tmux` to run this test.");
        }

        using var scratch = StackDirectory.WithFiles();
        var exitFile = scratch.File("ui-exit-code");
        var gateway = $"http://127.0.0.1:{Silo.FreePort.Next()}";
        await using var tmux = new Tmux();

        // bash, run directly by tmux (no sh between): it writes the exit code only if brummer handled Ctrl+C itself;
        // had brummer died of SIGINT, bash would end the command list there.
        await tmux.StartAsync("bash", "--norc", "--noprofile", "-c", $"dotnet '{BrummerProcess.Dll}' ui --gateway {gateway}; echo $? > '{exitFile}'");
        var down = await tmux.PaneUntilAsync(p => p.Contains("! cannot reach the gateway", StringComparison.Ordinal), "the gateway-down line");
        await tmux.SendKeysAsync("C-c");
        await Eventually.UntilAsync(tmux.HasSessionAsync, alive => !alive, "the tmux session to end after Ctrl+C");

        Assert.Contains($"cannot reach the gateway at {gateway}/", down, StringComparison.Ordinal);
        Assert.Contains("retrying every second", down, StringComparison.Ordinal);
        Assert.Contains("Waiting for the gateway", down, StringComparison.Ordinal);
        Assert.Equal("0", (await File.ReadAllTextAsync(await Eventually.FileAsync(exitFile), TestContext.Current.CancellationToken)).Trim());
    }

    /// <summary>The pane line of the process named <paramref name="name"/> on node solo, or null.</summary>
    private static string? Row(string pane, string name) =>
        pane.Split('\n').FirstOrDefault(l => System.Text.RegularExpressions.Regex.IsMatch(l, $@"^[> ]\s*solo\s+{name}\s"));

    private static async Task<string?> StatusAsync(HttpClient http, string name)
    {
        var status = await http.GetFromJsonAsync<StatusResult>($"api/processes?name={name}", TestContext.Current.CancellationToken);
        return status!.Processes.SingleOrDefault()?.Status;
    }

    /// <summary>A tmux server of the test's own (its own socket), so nothing of the developer's tmux is touched.</summary>
    private sealed class Tmux : IAsyncDisposable
    {
        private const string Session = "ui";
        private readonly string _socket = $"brummer-test-{Guid.NewGuid():n}";

        /// <summary>One argument is a shell command line; several are a program and its arguments, run without a shell.</summary>
        public Task StartAsync(params string[] command) =>
            RunAsync(["new-session", "-d", "-s", Session, "-x", "160", "-y", "40", .. command]);

        public Task SendKeysAsync(string key) => RunAsync("send-keys", "-t", Session, key);

        public async Task<bool> HasSessionAsync() => (await TryRunAsync("has-session", "-t", Session)).ExitCode == 0;

        public Task<string> PaneUntilAsync(Func<string, bool> done, string what) =>
            Eventually.UntilAsync(async () => (await TryRunAsync("capture-pane", "-p", "-t", Session)).Output, done, what);

        public async ValueTask DisposeAsync() => await TryRunAsync("kill-server");

        private async Task RunAsync(params string[] args)
        {
            var (exitCode, output) = await TryRunAsync(args);
            Assert.True(exitCode == 0, $"tmux {string.Join(' ', args)} exited {exitCode}: {output}");
        }

        private async Task<(int ExitCode, string Output)> TryRunAsync(params string[] args)
        {
            var start = new ProcessStartInfo(TmuxPath) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            start.ArgumentList.Add("-L");
            start.ArgumentList.Add(_socket);
            foreach (var arg in args)
            {
                start.ArgumentList.Add(arg);
            }

            // A UTF-8 locale, so Spectre and tmux agree on box and ellipsis characters.
            start.Environment["LANG"] = "C.UTF-8";
            foreach (var inherited in new[] { "BRUMMER_TOKEN", "BRUMMER_GATEWAY", "TMUX" })
            {
                start.Environment.Remove(inherited);
            }

            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
            var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
            await process.WaitForExitAsync(TestContext.Current.CancellationToken);
            return (process.ExitCode, await output + await error);
        }
    }
}
