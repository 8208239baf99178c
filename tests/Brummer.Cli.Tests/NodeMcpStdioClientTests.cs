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
    [Fact]
    public async Task TypeScriptSdkStdioClient_ListsToolsRunsAndGetsToolErrors()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });
        var port = Silo.FreePort.Next().ToString(CultureInfo.InvariantCulture);
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--node", "solo");
        await brummer.McpUrlAsync();
        var launch = JsonSerializer.Serialize(new[] { "dotnet", BrummerProcess.Dll, "mcp", "--gateway", $"http://127.0.0.1:{port}" });

        var output = await NodeMcpClient.RunAsync(
            "client.mjs",
            $"stdio:{launch}",
            "scripts_run", """{"name":"web"}""",
            "scripts_stop", """{"name":"web"}""",
            "scripts_run", """{"name":"nope"}""");

        var root = JsonDocument.Parse(output).RootElement;
        Assert.Contains("scripts_run", root.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("wait_for", root.GetProperty("tools").EnumerateArray().Select(t => t.GetString()));
        var results = root.GetProperty("results").EnumerateArray().ToList();
        Assert.Equal("running", results[0].GetProperty("structured").GetProperty("process").GetProperty("status").GetString());
        Assert.Equal("stopped", results[1].GetProperty("structured").GetProperty("process").GetProperty("status").GetString());
        Assert.True(results[2].GetProperty("isError").GetBoolean());
        Assert.Contains("Unknown script 'nope'", results[2].GetProperty("text").GetString(), StringComparison.Ordinal);
    }
}
