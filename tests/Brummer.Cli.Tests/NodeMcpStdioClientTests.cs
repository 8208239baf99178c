using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>
/// <c>brummer mcp</c> driven by a second, independent client: the official TypeScript SDK's stdio transport
/// (tests/mcp-node-client), which starts it the way Claude Desktop does.
/// </summary>
public sealed class NodeMcpStdioClientTests
{
    private static readonly string ClientDirectory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../mcp-node-client"));

    [Fact]
    public async Task TypeScriptSdkStdioClient_ListsToolsRunsAndGetsToolErrors()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });
        var port = Silo.FreePort.Next().ToString(CultureInfo.InvariantCulture);
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--node", "solo");
        await brummer.McpUrlAsync();
        await EnsureInstalledAsync();
        var launch = JsonSerializer.Serialize(new[] { "dotnet", BrummerProcess.Dll, "mcp", "--gateway", $"http://127.0.0.1:{port}" });

        var output = await RunAsync(
            "node",
            [
                "client.mjs", $"stdio:{launch}",
                "scripts_run", """{"name":"web"}""",
                "scripts_stop", """{"name":"web"}""",
                "scripts_run", """{"name":"nope"}""",
            ]);

        var root = JsonDocument.Parse(output.Trim().Split('\n')[^1]).RootElement;
        Assert.Contains("scripts_run", root.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("wait_for", root.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal("running", results[0].GetProperty("structured").GetProperty("process").GetProperty("status").GetString());
        Assert.Equal("stopped", results[1].GetProperty("structured").GetProperty("process").GetProperty("status").GetString());
        Assert.True(results[2].GetProperty("isError").GetBoolean());
        Assert.Contains("Unknown script 'nope'", results[2].GetProperty("text").GetString(), StringComparison.Ordinal);
    }

    /// <summary>Installs the pinned SDK (package-lock.json) once, as the gateway tests' node client does.</summary>
    private static async Task EnsureInstalledAsync()
    {
        if (Directory.Exists(Path.Combine(ClientDirectory, "node_modules", "@modelcontextprotocol", "sdk")))
        {
            return;
        }

        await RunAsync("npm", ["ci", "--no-audit", "--no-fund"]);
    }

    private static async Task<string> RunAsync(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("BRUMMER_GATEWAY");
        start.Environment.Remove("BRUMMER_TOKEN");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
        var output = await stdout;
        Assert.True(process.ExitCode == 0, $"{program} {string.Join(' ', args)} failed:\n{output}{await stderr}");
        return output;
    }
}
