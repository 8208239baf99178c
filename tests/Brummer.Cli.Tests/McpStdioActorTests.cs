using Brummer.Tests;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Brummer.Cli.Tests;

/// <summary>Who a call through <c>brummer mcp</c> is recorded as: the stdio client's own name.</summary>
[Collection(RecordVerbFixture.Collection)]
public sealed class McpStdioActorTests(RecordVerbFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task McpStdio_ClientNamedAgentX_IsRecordedAsAgentXInAuditAndLastAction()
    {
        await using var agent = await McpClient.CreateAsync(
            new StdioClientTransport(new StdioClientTransportOptions
            {
                Name = "agent-x-stdio",
                Command = "dotnet",
                Arguments = [BrummerProcess.Dll, "mcp", "--gateway", fixture.Gateway],
                EnvironmentVariables = new Dictionary<string, string?> { ["BRUMMER_GATEWAY"] = null, ["BRUMMER_TOKEN"] = null },
                ShutdownTimeout = TimeSpan.FromSeconds(30),
            }),
            new McpClientOptions { ClientInfo = new Implementation { Name = "agent-x", Version = "1.0.0" }, InitializationTimeout = TimeSpan.FromMinutes(2) },
            cancellationToken: Ct);

        await agent.CallAsync("scripts_run", new { name = "api" });
        var audit = await agent.CallAsync("audit_list", new { node = "solo" });
        var status = await agent.CallAsync("scripts_status", new { name = "api" });

        var entry = audit.GetProperty("entries").EnumerateArray().First(e => e.GetProperty("name").GetString() == "api");
        Assert.Equal(("agent-x", "run"), (entry.GetProperty("by").GetString(), entry.GetProperty("action").GetString()));
        Assert.Equal("agent-x", status.GetProperty("processes")[0].GetProperty("last_action").GetProperty("by").GetString());
    }
}
