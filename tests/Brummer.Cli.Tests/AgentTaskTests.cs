using System.Text.Json;
using Brummer.Silo;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>
/// A two-machine stack (two nodes and a gateway as OS processes) where `api` runs on both machines and crashes on b at
/// start with a stack trace: it comes up once restarted. The agent is tests/mcp-node-client/agent.mjs, on the official
/// TypeScript SDK, choosing its calls from tools/list and the answers the way an agent new to Brummer would.
/// </summary>
public sealed class AgentStackFixture : IAsyncLifetime
{
    // Real Node.js: an uncaught error prints its source line, a caret, the message and the stack. CRASH_ONCE names a
    // file that, once written, lets the next run come up: the first run on b crashes, a restart fixes it.
    private const string Api = """
        const fs = require('fs');
        function connectToDatabase() { throw new Error('connect ECONNREFUSED 127.0.0.1:5432'); }
        function start() { connectToDatabase(); }
        if (process.env.CRASH_ONCE && !fs.existsSync(process.env.CRASH_ONCE)) {
          fs.writeFileSync(process.env.CRASH_ONCE, 'crashed once\n');
          start();
        }
        console.log('api listening');
        setInterval(() => {}, 1 << 30);
        """;

    private readonly StackDirectory _machineA = StackDirectory.WithFiles(
        ("api.js", Api),
        ("brummer.yaml", $"""
            processes:
              api:
                command: node api.js
                readiness_probe: {"{"}log: {"{"}pattern: listening{"}"}{"}"}
              web:
                command: {Quoted(Dummy.Command("say:web up", "sleep"))}
            """));

    private readonly StackDirectory _machineB = StackDirectory.WithFiles(
        ("api.js", Api),
        ("brummer.yaml", $"""
            processes:
              api:
                command: node api.js
                environment: {"{"}CRASH_ONCE: crashed-once{"}"}
                readiness_probe: {"{"}log: {"{"}pattern: listening{"}"}{"}"}
              worker:
                command: {Quoted(Dummy.Command("say:worker up", "sleep"))}
            """));

    private ProcessCluster? _cluster;

    public string McpUrl { get; private set; } = string.Empty;

    public async ValueTask InitializeAsync()
    {
        var (silo, gateway) = (FreePort.Next(), FreePort.Next());
        _cluster = new ProcessCluster($"dev://127.0.0.1:{silo}?gateway={gateway}");
        await _cluster.StartNodeAsync("a", _machineA.Path, silo, gateway);
        await _cluster.StartNodeAsync("b", _machineB.Path, 0, 0);
        var mcp = await _cluster.StartGatewayAsync();
        McpUrl = new Uri(_cluster.GatewayUrl!, "mcp").ToString();

        // The stack as a person would find it: a's api ready, b's api crashed, the rest running.
        await Eventually.UntilAsync(
            async () => (await mcp.CallAsync("scripts_status")).GetProperty("processes").EnumerateArray()
                .Select(p => $"{p.GetProperty("node").GetString()}/{p.GetProperty("name").GetString()}={p.GetProperty("status").GetString()}")
                .Order(StringComparer.Ordinal).ToList(),
            states => states.SequenceEqual(["a/api=running", "a/web=running", "b/api=failed", "b/worker=running"]),
            "a's api, web and b's worker running, b's api crashed");
    }

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }

        _machineA.Dispose();
        _machineB.Dispose();
    }

    private static string Quoted(string text) => $"'{text.Replace("'", "''", StringComparison.Ordinal)}'";
}

public sealed class AgentTaskTests(AgentStackFixture stack) : IClassFixture<AgentStackFixture>
{
    [Fact]
    public async Task Agent_AsksWhetherAnythingFails_InOneCall_ThenFindsWhichMachinesApi_ReadsItsFirstErrorWithStack_AndRestartsItUntilItServes_InAtMostFiveCalls()
    {
        var (asked, anything) = await AgentAsync("anything-failing");
        var (calls, conclusion) = await AgentAsync("fix-failing", "api");
        var (_, afterwards) = await AgentAsync("anything-failing");

        var question = Assert.Single(asked);
        Assert.False(question.GetProperty("isError").GetBoolean(), question.GetProperty("text").GetString());
        Assert.Equal(["b/api"], anything.GetProperty("failing").EnumerateArray().Select(f => f.GetString()));

        Assert.InRange(calls.Count, 1, 5);
        Assert.All(calls, c => Assert.False(c.GetProperty("isError").GetBoolean(), $"{c.GetProperty("tool").GetString()}: {c.GetProperty("text").GetString()}"));
        var found = conclusion.GetProperty("found");
        Assert.Equal("b", found.GetProperty("node").GetString());
        Assert.Equal("failed", found.GetProperty("status").GetString());
        var error = conclusion.GetProperty("first_error");
        Assert.Equal("Error: connect ECONNREFUSED 127.0.0.1:5432", error.GetProperty("first_line").GetString());
        var block = error.GetProperty("block").EnumerateArray().Select(l => l.GetString()!).ToList();
        Assert.Contains(block, l => l.TrimStart().StartsWith("at connectToDatabase (", StringComparison.Ordinal));
        Assert.Contains(block, l => l.TrimStart().StartsWith("at start (", StringComparison.Ordinal));
        var after = conclusion.GetProperty("after_restart");
        Assert.Equal(("b", "running", "ready"), (after.GetProperty("node").GetString(), after.GetProperty("status").GetString(), after.GetProperty("health").GetString()));
        Assert.Equal(0, after.GetProperty("error_count").GetInt32()); // the fixed error belongs to the crashed run

        Assert.Empty(afterwards.GetProperty("failing").EnumerateArray());
    }

    [Fact]
    public async Task Agent_Mistakes_EachErrorSaysWhatToDoNext()
    {
        var (calls, _) = await AgentAsync("mistakes");

        string Error(int i)
        {
            Assert.True(calls[i].GetProperty("isError").GetBoolean(), $"call {i} should have failed: {calls[i].GetProperty("text").GetString()}");
            return calls[i].GetProperty("text").GetString()!;
        }

        Assert.Equal(5, calls.Count);
        Assert.Contains("Unknown script 'apii' on node 'b'. Scripts: api, worker.", Error(0), StringComparison.Ordinal);
        Assert.Contains("'node' is required: 'api' is on nodes a, b.", Error(1), StringComparison.Ordinal);
        Assert.Contains("Unknown node 'c'. Nodes: a, b.", Error(2), StringComparison.Ordinal);
        Assert.Contains("running, ready, exited, succeeded or failed", Error(3), StringComparison.Ordinal);
        Assert.Contains("scripts_history", Error(4), StringComparison.Ordinal);
    }

    private async Task<(List<JsonElement> Calls, JsonElement Conclusion)> AgentAsync(params string[] task)
    {
        var output = await NodeMcpClient.RunAsync("agent.mjs", [stack.McpUrl, .. task]);
        var root = JsonDocument.Parse(output).RootElement;
        return ([.. root.GetProperty("calls").EnumerateArray()], root.GetProperty("conclusion"));
    }
}
