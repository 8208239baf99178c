using System.Globalization;
using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>A monorepo's workspace scripts (<c>@scope/pkg:script</c>) through the real CLI, JSON API, MCP and grains.</summary>
public sealed class WorkspaceCommandTests
{
    [Fact]
    public async Task Run_ScopedWorkspaceScript_RunsInItsPackageThroughCliApiAndMcp()
    {
        using var repo = Monorepo();
        var port = Silo.FreePort.Next();
        await using var brummer = BrummerProcess.Start("up", "--dir", repo.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo");
        var mcpUrl = await brummer.McpUrlAsync();
        var gateway = $"http://127.0.0.1:{port}";

        var scripts = await BrummerProcess.RunAsync("scripts", "--gateway", gateway);
        var run = await BrummerProcess.RunAsync("run", "@shop/web:dev", "--gateway", gateway);
        var runOnNode = await BrummerProcess.RunAsync("run", "@shop/web:dev", "--node", "solo", "--gateway", gateway);
        var logs = await Eventually.UntilAsync(
            () => BrummerProcess.RunAsync("logs", "@shop/web:dev", "--node", "solo", "--gateway", gateway),
            l => l.Output.Contains("serving from", StringComparison.Ordinal),
            "the workspace script's first line in `brummer logs`");
        await using var mcp = await McpCalls.ConnectAsync(mcpUrl);
        var tail = await mcp.CallAsync("logs_tail", new { name = "@shop/web:dev" });
        var stop = await BrummerProcess.RunAsync("stop", "@shop/web:dev", "--gateway", gateway);
        var started = await mcp.CallAsync("scripts_run", new { name = "api:start", node = "solo" });

        Assert.Equal(0, scripts.ExitCode);
        Assert.Matches(@"solo\s+@shop/web:dev\s+echo .*\s+packages/web/package\.json \(npm, direct\)", scripts.Output);
        Assert.Matches(@"solo\s+api:start\s+", scripts.Output);
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("@shop/web:dev on solo: running (pid ", run.Output, StringComparison.Ordinal);
        Assert.Contains("@shop/web:dev on solo is already running", runOnNode.Output, StringComparison.Ordinal);
        Assert.Contains($"serving from {Path.Combine(repo.Path, "packages", "web")} as dev of @shop/web", logs.Output, StringComparison.Ordinal);
        Assert.Contains("serving from", tail.GetProperty("lines")[0].GetProperty("text").GetString(), StringComparison.Ordinal);
        Assert.Equal(0, stop.ExitCode);
        Assert.Contains("@shop/web:dev on solo: stopped", stop.Output, StringComparison.Ordinal);
        Assert.Equal("running", started.GetProperty("process").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Up_DirectScriptsOff_RunsScriptsThroughNpm()
    {
        using var repo = Monorepo();
        var port = Silo.FreePort.Next();
        await using var brummer = BrummerProcess.Start(
            new Dictionary<string, string> { ["BRUMMER_DIRECT_SCRIPTS"] = "0" },
            "up", "--dir", repo.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo");
        await brummer.McpUrlAsync();
        var gateway = $"http://127.0.0.1:{port}";

        var scripts = await BrummerProcess.RunAsync("scripts", "--json", "--gateway", gateway);
        var run = await BrummerProcess.RunAsync("run", "@shop/web:dev", "--gateway", gateway);
        // npm's banner echoes the command (with "serving from $PWD"), so wait for the script's own line.
        var served = $"serving from {Path.Combine(repo.Path, "packages", "web")} as dev of @shop/web";
        var logs = await Eventually.UntilAsync(
            () => BrummerProcess.RunAsync("logs", "@shop/web:dev", "--gateway", gateway),
            l => l.Output.Contains(served, StringComparison.Ordinal),
            "the workspace script's own line in `brummer logs`");

        var sources = JsonDocument.Parse(scripts.Output).RootElement.GetProperty("scripts").EnumerateArray()
            .ToDictionary(s => s.GetProperty("name").GetString()!, s => s.GetProperty("source").GetString());
        Assert.Equal("packages/web/package.json (npm)", sources["@shop/web:dev"]);
        Assert.Equal(0, run.ExitCode);
        // npm's own banner, then the script, in the package's directory all the same.
        Assert.Contains("> @shop/web@0.1.0 dev", logs.Output, StringComparison.Ordinal);
        Assert.Contains(served, logs.Output, StringComparison.Ordinal);
    }

    private static StackDirectory Monorepo()
    {
        var repo = new StackDirectory(new Dictionary<string, string>(), """{ "name": "shop", "private": true, "workspaces": ["packages/*"] }""");
        var web = Path.Combine(repo.Path, "packages", "web");
        var api = Path.Combine(repo.Path, "packages", "api");
        Directory.CreateDirectory(web);
        Directory.CreateDirectory(api);
        var dev = $"echo \"serving from $PWD as $npm_lifecycle_event of $npm_package_name\" && {Dummy.Command("sleep")}";
        File.WriteAllText(Path.Combine(web, "package.json"), JsonSerializer.Serialize(new { name = "@shop/web", version = "0.1.0", scripts = new { dev } }));
        File.WriteAllText(Path.Combine(api, "package.json"), JsonSerializer.Serialize(new { scripts = new { start = Dummy.Command("sleep") } }));
        return repo;
    }
}
