using System.Runtime.CompilerServices;
using Brummer.Cli.Ui;
using Brummer.Gateway.Contracts;
using Spectre.Console;
using Spectre.Console.Testing;

namespace Brummer.Cli.Tests;

/// <summary>What `brummer ui` draws for a given state and terminal size, rendered by Spectre's test console.</summary>
public sealed class UiViewTests
{
    private const string Gateway = "http://127.0.0.1:7777";

    [Fact]
    public void Render_WideTerminal_ShowsEveryColumnOfEveryProcessWithStateColours()
    {
        var state = UiState.Initial.With(StatusUpdate.Of(UiSamples.Snapshot()));
        var console = new TestConsole().Width(160).Height(40).Colors(ColorSystem.Standard).EmitAnsiSequences();

        console.Write(UiView.Render(state, Gateway, 160, 40));
        var plain = Plain(console.Output);

        foreach (var header in new[] { "NODE", "NAME", "STATE", "HEALTH", "PID", "RESTARTS", "ERRORS", "URL", "LAST LINE" })
        {
            Assert.Contains(header, plain, StringComparison.Ordinal);
        }

        Assert.Matches(@"(?m)^>\s+a\s+api\s+running\s+ready\s+4242\s+1\s+0\s+http://localhost:5000\s+listening on 5000", plain);
        Assert.Matches(@"(?m)^\s+b\s+web\s+failed\s+-\s+-\s+0\s+2\s+-\s+Error: boom", plain);
        Assert.Matches(@"(?m)^\s+b\s+worker\s+not run\s+.*dotnet worker\.dll", plain);
        Assert.Contains("3 scripts on 2 nodes: 1 failed, 1 running", plain, StringComparison.Ordinal);
        Assert.Contains(UiKeys.Help, plain, StringComparison.Ordinal);
        Assert.Matches(@"\x1b\[[0-9;]*32m[^\x1b]*running", console.Output); // green
        Assert.Matches(@"\x1b\[[0-9;]*(31|91)m[^\x1b]*failed", console.Output); // red
    }

    [Fact]
    public void Render_NarrowShortTerminal_DropsMinorColumnsAndKeepsTheSelectionInSight()
    {
        var rows = Enumerable.Range(0, 40).Select(i => UiSamples.Process("n1", $"svc{i:00}", "running", lastLine: new string('x', 300))).ToList();
        var state = UiState.Initial.With(StatusUpdate.Of(ClusterSnapshot.Of(rows, [], DateTime.UtcNow))) with { Selected = ("n1", "svc33") };
        var console = new TestConsole().Width(40).Height(12);

        console.Write(UiView.Render(state, Gateway, 40, 12));
        var lines = console.Output.TrimEnd().Split('\n');

        Assert.All(lines, l => Assert.True(l.TrimEnd().Length <= 40, $"wider than the terminal: '{l}'"));
        Assert.True(lines.Length <= 12, $"{lines.Length} lines for a 12-line terminal:\n{console.Output}");
        Assert.Contains("NAME", lines[1], StringComparison.Ordinal);
        Assert.Contains("STATE", lines[1], StringComparison.Ordinal);
        Assert.DoesNotContain("LAST LINE", console.Output, StringComparison.Ordinal);
        Assert.Contains(lines, l => l.StartsWith('>') && l.Contains("svc33", StringComparison.Ordinal));
    }

    [Fact]
    public void Render_GatewayDown_SaysSoAndKeepsTheLastKnownState()
    {
        var state = UiState.Initial.With(StatusUpdate.Of(UiSamples.Snapshot()))
            .With(StatusUpdate.Failed("cannot reach the gateway at http://127.0.0.1:7777/ (Connection refused)"));
        var console = new TestConsole().Width(160).Height(40);

        console.Write(UiView.Render(state, Gateway, 160, 40));

        Assert.Contains("! cannot reach the gateway at http://127.0.0.1:7777/ (Connection refused); retrying every second, showing the last known state", console.Output, StringComparison.Ordinal);
        Assert.Contains("api", console.Output, StringComparison.Ordinal);
    }

    [Fact]
    public void Render_FollowedLog_ShowsItsNewestLinesWithoutTheProcessColourCodes()
    {
        var lines = Enumerable.Range(1, 100).Select(i => new LogLineDto("a", "api", i, DateTime.UtcNow, "stdout", $"\u001b[32mline {i}\u001b[0m\u001b[2J")).ToList();
        var state = UiState.Initial.With(StatusUpdate.Of(UiSamples.Snapshot())) with { Log = new LogView("a", "api", []).Append(lines) };
        var console = new TestConsole().Width(80).Height(20);

        console.Write(UiView.Render(state, Gateway, 80, 20));

        Assert.Contains("output of api on a", console.Output, StringComparison.Ordinal);
        Assert.Contains("line 100", console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("line 50\n", console.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("\u001b", console.Output, StringComparison.Ordinal);
        Assert.Contains(UiKeys.LogHelp, console.Output, StringComparison.Ordinal);
    }

    private static string Plain(string ansi) => System.Text.RegularExpressions.Regex.Replace(ansi, @"\x1b\[[0-9;]*[A-Za-z]", string.Empty);
}

internal static class UiSamples
{
    public static ProcessDto Process(string node, string name, string status, int? pid = null, string health = "none", int restarts = 0, int errors = 0, string? url = null, string? lastLine = null, string? reason = null) =>
        new(node, name, status, pid, DateTime.UtcNow, null, null, restarts, lastLine, reason, errors, url is null ? [] : [url], health, null, null);

    /// <summary>a/api running and ready, b/web failed, b/worker never run.</summary>
    public static ClusterSnapshot Snapshot() => ClusterSnapshot.Of(
        [
            Process("b", "web", "failed", errors: 2, lastLine: "Error: boom"),
            Process("a", "api", "running", 4242, "ready", 1, url: "http://localhost:5000", lastLine: "listening on 5000"),
        ],
        [new ScriptDto("b", "worker", "dotnet worker.dll", "package.json (npm)"), new ScriptDto("a", "api", "node api.js", "package.json (npm)")],
        DateTime.UtcNow);

    public static ConsoleKeyInfo Key(ConsoleKey key) => new('\0', key, false, false, false);

    public static ConsoleKeyInfo Key(char c) => new(c, char.IsLetter(c) ? (ConsoleKey)char.ToUpperInvariant(c) : ConsoleKey.NoName, char.IsUpper(c), false, false);

    public static ConsoleKeyInfo Enter => new('\r', ConsoleKey.Enter, false, false, false);

    public static ConsoleKeyInfo Escape => new('\u001b', ConsoleKey.Escape, false, false, false);
}
