using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Gateway.Tests;

[Collection(ClusterTests.Name)]
public sealed class McpToolsTests(ClusterFixture cluster)
{
    private static readonly string[] Tools = ["audit_list", "errors_list", "logs_search", "logs_tail", "nodes_list", "scripts_claim", "scripts_history", "scripts_list", "scripts_release", "scripts_restart", "scripts_run", "scripts_status", "scripts_stop", "stack_reload", "urls_list", "wait_for"];

    [Fact]
    public async Task ToolsList_HasEveryToolWithDescriptions()
    {
        var tools = await cluster.Mcp.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.Equal(Tools, tools.Select(t => t.Name).Order(StringComparer.Ordinal));
        foreach (var tool in tools)
        {
            Assert.False(string.IsNullOrWhiteSpace(tool.Description), $"{tool.Name} has a description");
            var schema = tool.JsonSchema;
            if (schema.TryGetProperty("properties", out var properties))
            {
                foreach (var parameter in properties.EnumerateObject())
                {
                    Assert.True(parameter.Value.TryGetProperty("description", out _), $"{tool.Name}.{parameter.Name} has a description");
                }
            }
        }

        var run = tools.Single(t => t.Name == "scripts_run").JsonSchema;
        Assert.Contains("name", run.GetProperty("required").EnumerateArray().Select(e => e.GetString()));
    }

    [Fact]
    public async Task ScriptsList_ListsEveryDiscoveredScript()
    {
        var result = await cluster.CallAsync("scripts_list");

        var scripts = result.GetProperty("scripts").EnumerateArray().ToList();
        Assert.Equal(4 + ClusterFixture.ChurnScripts, scripts.Count);
        var web = scripts.Single(s => s.GetProperty("name").GetString() == "web");
        Assert.Equal(ClusterFixture.Node, web.GetProperty("node").GetString());
        Assert.Contains("Brummer.Tests.Dummy.dll", web.GetProperty("command").GetString(), StringComparison.Ordinal);
        Assert.Equal("package.json (npm, direct)", web.GetProperty("source").GetString());
    }

    [Fact]
    public async Task ScriptsList_UnknownNode_IsAnErrorNamingTheNodes()
    {
        var error = await cluster.CallErrorAsync("scripts_list", new { node = "nope" });

        Assert.Contains("Unknown node 'nope'", error, StringComparison.Ordinal);
        Assert.Contains(ClusterFixture.Node, error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RunStatusStop_Roundtrip_ReportsEachState()
    {
        var run = await cluster.CallAsync("scripts_run", new { name = "web" });
        var process = run.GetProperty("process");
        Assert.False(run.GetProperty("already_running").GetBoolean());
        Assert.Equal("running", process.GetProperty("status").GetString());
        var pid = process.GetProperty("pid").GetInt32();
        Assert.True(OsProcesses.IsAlive(pid));
        AssertIsoUtc(process.GetProperty("started_at"));

        var again = await cluster.CallAsync("scripts_run", new { name = "web", node = ClusterFixture.Node });
        Assert.True(again.GetProperty("already_running").GetBoolean());
        Assert.Equal(pid, again.GetProperty("process").GetProperty("pid").GetInt32());

        var status = await cluster.CallAsync("scripts_status", new { name = "web" });
        var listed = Assert.Single(status.GetProperty("processes").EnumerateArray());
        Assert.Equal("running", listed.GetProperty("status").GetString());
        AssertIsoUtc(status.GetProperty("as_of"));

        var stopped = (await cluster.CallAsync("scripts_stop", new { name = "web" })).GetProperty("process");
        Assert.Equal("stopped", stopped.GetProperty("status").GetString());
        AssertIsoUtc(stopped.GetProperty("exited_at"));
        Assert.False(OsProcesses.IsAlive(pid));
        Assert.Empty(OsProcesses.GroupMembers(pid));

        var after = await cluster.CallAsync("scripts_status", new { name = "web" });
        Assert.Equal("stopped", after.GetProperty("processes")[0].GetProperty("status").GetString());
    }

    [Fact]
    public async Task ScriptsStop_TreeIgnoringSigterm_LeavesNothingOfItAlive()
    {
        var run = await cluster.CallAsync("scripts_run", new { name = "tree" });
        var leader = run.GetProperty("process").GetProperty("pid").GetInt32();
        var grandchild = Dummy.ReadPid(await Eventually.FileAsync(ClusterFixture.GrandchildPidFile));
        Assert.True(OsProcesses.IsAlive(grandchild));

        var stopped = await cluster.CallAsync("scripts_stop", new { name = "tree" });

        Assert.Equal("stopped", stopped.GetProperty("process").GetProperty("status").GetString());
        Assert.False(OsProcesses.IsAlive(grandchild), "grandchild that ignores SIGTERM is gone");
        Assert.Empty(OsProcesses.GroupMembers(leader));
        File.Delete(ClusterFixture.GrandchildPidFile);
    }

    [Fact]
    public async Task ScriptsRestart_CountsUpAndReplacesTheProcess()
    {
        var first = (await cluster.CallAsync("scripts_restart", new { name = "churn19" })).GetProperty("process");
        var second = (await cluster.CallAsync("scripts_restart", new { name = "churn19" })).GetProperty("process");

        Assert.Equal("running", second.GetProperty("status").GetString());
        Assert.Equal(first.GetProperty("restarts").GetInt32() + 1, second.GetProperty("restarts").GetInt32());
        Assert.NotEqual(first.GetProperty("pid").GetInt32(), second.GetProperty("pid").GetInt32());
        Assert.False(OsProcesses.IsAlive(first.GetProperty("pid").GetInt32()));

        await cluster.CallAsync("scripts_stop", new { name = "churn19" });
    }

    [Fact]
    public async Task TasksThatExitOnTheirOwn_AreSucceededOrFailedWithExitCode()
    {
        await cluster.CallAsync("scripts_run", new { name = "ok" });
        await cluster.CallAsync("scripts_run", new { name = "bad" });

        var ok = await WaitForStatusAsync("ok", "succeeded");
        var bad = await WaitForStatusAsync("bad", "failed");

        Assert.Equal(0, ok.GetProperty("exit_code").GetInt32());
        Assert.Equal("built", ok.GetProperty("last_line").GetString());
        Assert.Equal(3, bad.GetProperty("exit_code").GetInt32());
        Assert.Equal("Error: boom", bad.GetProperty("last_line").GetString());
    }

    [Fact]
    public async Task ScriptsStatus_TextBlock_IsOneReadableLinePerProcess_AndTheSchemaIsAdvertised()
    {
        await cluster.CallAsync("scripts_run", new { name = "ok" });
        await WaitForStatusAsync("ok", "succeeded");

        var result = await cluster.CallRawAsync("scripts_status");
        var text = ClusterFixture.Text(result);
        var structured = ClusterFixture.Structured(result);
        var tools = await cluster.Mcp.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        var lines = text.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("as_of ", lines[0], StringComparison.Ordinal);
        Assert.Contains($"{ClusterFixture.Node} up", lines[0], StringComparison.Ordinal);
        Assert.Equal(structured.GetProperty("processes").GetArrayLength(), lines.Length - 1);
        Assert.Contains(lines, l => l.StartsWith($"{ClusterFixture.Node}/ok succeeded", StringComparison.Ordinal) && l.Contains("exit 0", StringComparison.Ordinal) && l.EndsWith("| built", StringComparison.Ordinal));
        var schema = tools.Single(t => t.Name == "scripts_status").ProtocolTool.OutputSchema!.Value;
        Assert.Equal(["as_of", "cursor", "nodes", "processes"], schema.GetProperty("properties").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [InlineData("scripts_run")]
    [InlineData("scripts_stop")]
    [InlineData("scripts_restart")]
    public async Task ControlTools_UnknownScript_AreErrorsNamingTheScripts(string tool)
    {
        var error = await cluster.CallErrorAsync(tool, new { name = "deploy-prod" });

        Assert.Contains("Unknown script 'deploy-prod'", error, StringComparison.Ordinal);
        Assert.Contains("web", error, StringComparison.Ordinal);
        Assert.Contains("churn00", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScriptsRun_UnknownNode_IsAnErrorNamingTheNodes()
    {
        var error = await cluster.CallErrorAsync("scripts_run", new { name = "web", node = "laptop-42" });

        Assert.Contains("Unknown node 'laptop-42'. Nodes: node-a.", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ScriptsRun_MissingName_IsAnErrorNotACrash()
    {
        var result = await cluster.CallRawAsync("scripts_run", new Dictionary<string, object?>());

        Assert.True(result.IsError);
        Assert.Contains("name", ClusterFixture.Text(result), StringComparison.Ordinal);
        var still = await cluster.CallAsync("nodes_list");
        Assert.Single(still.GetProperty("nodes").EnumerateArray());
    }

    [Fact]
    public async Task ScriptsStatus_UnknownScript_IsAnError()
    {
        var error = await cluster.CallErrorAsync("scripts_status", new { name = "nope" });

        Assert.Contains("Unknown script 'nope'", error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NodesList_ReportsTheNodeWithCountsPerStatus()
    {
        await cluster.CallAsync("scripts_run", new { name = "churn18" });
        var nodes = await cluster.CallAsync("nodes_list");

        var node = Assert.Single(nodes.GetProperty("nodes").EnumerateArray());
        Assert.Equal(ClusterFixture.Node, node.GetProperty("name").GetString());
        Assert.Equal("up", node.GetProperty("status").GetString());
        Assert.StartsWith("127.0.0.1:", node.GetProperty("address").GetString(), StringComparison.Ordinal);
        Assert.True(node.GetProperty("processes").GetProperty("running").GetInt32() >= 1);
        Assert.Equal("ok", nodes.GetProperty("membership").GetProperty("status").GetString());

        await cluster.CallAsync("scripts_stop", new { name = "churn18" });
    }

    private Task<JsonElement> WaitForStatusAsync(string name, string status) =>
        Eventually.UntilAsync(
            async () => (await cluster.CallAsync("scripts_status", new { name })).GetProperty("processes")[0],
            p => p.GetProperty("status").GetString() == status,
            $"{name} to be {status}");

    private static void AssertIsoUtc(JsonElement value)
    {
        var text = value.GetString()!;
        Assert.EndsWith("Z", text, StringComparison.Ordinal);
        Assert.True(DateTime.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.RoundtripKind, out _), text);
    }
}
