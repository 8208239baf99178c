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
    [Fact]
    public async Task TypeScriptSdkClient_ListsToolsAndRunsStatusStop()
    {
        var output = await NodeMcpClient.RunAsync(
            "client.mjs",
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
}
