using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.Testing;
using Brummer.Tests;

namespace Brummer.AppHost.Tests;

/// <summary>
/// aspire/Brummer.AppHost as <c>dotnet run --project aspire/Brummer.AppHost</c> runs it: two <c>brummer node</c>
/// processes and a <c>brummer gateway</c> started by Aspire's orchestrator (DCP), reached the way an agent reaches them,
/// over MCP at the endpoint Aspire gives the gateway.
/// </summary>
public sealed class AppHostTests
{
    // Generous: four .NET processes (nodes, gateway, dashboard-less AppHost) and a `dotnet build` of the shop's orders
    // service start together on a busy 2-core machine.
    private static readonly TimeSpan StartTimeout = TimeSpan.FromMinutes(5);

    [Fact]
    public async Task AppHost_Started_GatewayServesProcessesOfBothNodesOverMcp()
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(StartTimeout);

        // Development clustering whatever the machine has: Redis would need a container runtime and an image registry.
        // The example runs in a copy: the CLI's microservices test may run it at the same time, building the same
        // service and checking that nothing is left running in its directory.
        using var shop = StackDirectory.CopyOf(Path.Combine(AppContext.BaseDirectory, "../../../../../examples/microservices"));
        var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Brummer_AppHost>(
            ["--Brummer:Membership=development", $"--Brummer:Stack={shop.Path}"], timeout.Token);
        await using var app = await builder.BuildAsync(timeout.Token);
        try
        {
            await app.StartAsync(timeout.Token);
        }
        catch (Exception ex) when (OrchestratorUnavailable(ex))
        {
            Assert.Skip($"Aspire's orchestrator (DCP) could not start on this machine, so no AppHost can run here: {ex.Message}");
        }

        await app.ResourceNotifications.WaitForResourceHealthyAsync("gateway", timeout.Token);
        var endpoint = app.GetEndpoint("gateway", "http");
        Assert.True(endpoint.IsLoopback, $"the gateway's endpoint {endpoint} is not on loopback: its Host check would refuse it");

        await using var mcp = await McpCalls.ConnectAsync(new Uri(endpoint, "/mcp"));
        var tools = await mcp.ListToolsAsync(cancellationToken: timeout.Token);
        Assert.Contains(tools, tool => tool.Name == "scripts_status");

        // brummer.yaml places db on node data and web on node web: each node runs only its own, and the one gateway
        // sees both. Node web's process is listed as soon as it waits for data's services across the cluster.
        var processes = await Eventually.UntilAsync(
            async () => (await mcp.CallAsync("scripts_status")).GetProperty("processes").EnumerateArray().Select(Name).ToHashSet(),
            names => names.Contains("data/db") && names.Contains("web/web"),
            "scripts_status to list data/db and web/web",
            StartTimeout);
        Assert.DoesNotContain("data/web", processes);
        Assert.DoesNotContain("web/db", processes);
    }

    private static string Name(JsonElement process) => $"{process.GetProperty("node").GetString()}/{process.GetProperty("name").GetString()}";

    /// <summary>
    /// DCP, the orchestrator Aspire ships in a NuGet package, is missing or could not start (thrown from where Aspire checks
    /// and starts it, before any resource of the app model is created): nothing of ours ran, and nothing can here.
    /// </summary>
    private static bool OrchestratorUnavailable(Exception exception) => exception switch
    {
        AggregateException aggregate => aggregate.InnerExceptions.Any(OrchestratorUnavailable),
        _ => exception.TargetSite?.DeclaringType?.FullName is { } thrower &&
             (thrower.StartsWith("Aspire.Hosting.Dcp.DcpDependencyCheck", StringComparison.Ordinal) ||
              thrower.StartsWith("Aspire.Hosting.Dcp.DcpHost", StringComparison.Ordinal))
             || (exception.InnerException is { } inner && OrchestratorUnavailable(inner)),
    };
}
