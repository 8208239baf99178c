using System.Diagnostics;
using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Gateway.Tests;

/// <summary>
/// A second, independent MCP client — the official TypeScript SDK under node — against the same gateway, so the
/// server is checked against more than the C# SDK's reading of the protocol.
/// </summary>
[Collection(ClusterTests.Name)]
public sealed class NodeMcpClientTests(ClusterFixture cluster)
{
    private static readonly string ClientDirectory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../mcp-node-client"));

    [Fact]
    public async Task TypeScriptSdkClient_ListsToolsAndRunsStatusStop()
    {
        await EnsureInstalledAsync();

        var output = await RunNodeAsync(
            new Uri(cluster.BaseUrl, "/mcp").ToString(),
            "scripts_run", """{"name":"churn16"}""",
            "wait_for", """{"name":"churn16","condition":"ready"}""",
            "scripts_status", """{"name":"churn16"}""",
            "scripts_stop", """{"name":"churn16"}""",
            "scripts_run", """{"name":"nope"}""");

        var root = JsonDocument.Parse(output).RootElement;
        Assert.Equal(["audit_list", "errors_list", "logs_search", "logs_tail", "nodes_list", "scripts_claim", "scripts_history", "scripts_list", "scripts_release", "scripts_restart", "scripts_run", "scripts_status", "scripts_stop", "stack_reload", "urls_list", "wait_for"], root.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal("running", results[0].GetProperty("structured").GetProperty("process").GetProperty("status").GetString());
        Assert.Equal("ready", results[1].GetProperty("structured").GetProperty("condition").GetString());
        Assert.Equal("running", results[2].GetProperty("structured").GetProperty("processes")[0].GetProperty("status").GetString());
        Assert.Equal("stopped", results[3].GetProperty("structured").GetProperty("process").GetProperty("status").GetString());
        Assert.True(results[4].GetProperty("isError").GetBoolean());
        Assert.Contains("Unknown script 'nope'", results[4].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Installs the pinned SDK (package-lock.json) once, so the README's test command works on a fresh clone.</summary>
    private static async Task EnsureInstalledAsync()
    {
        if (Directory.Exists(Path.Combine(ClientDirectory, "node_modules", "@modelcontextprotocol", "sdk")))
        {
            return;
        }

        var (code, output) = await RunAsync("npm", ["ci", "--no-audit", "--no-fund"]);
        Assert.True(code == 0, $"npm ci failed in {ClientDirectory}:\n{output}");
    }

    private static async Task<string> RunNodeAsync(params string[] args)
    {
        var (code, output) = await RunAsync("node", ["client.mjs", .. args]);
        Assert.True(code == 0, $"node client failed:\n{output}");
        return output.Trim().Split('\n')[^1];
    }

    private static async Task<(int Code, string Output)> RunAsync(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }
}
