using System.Diagnostics;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Brummer.Clustering;
using Brummer.Silo;
using Brummer.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Client;
using Orleans;
using Orleans.Configuration;
using Orleans.Connections.Security;
using Orleans.Hosting;
using Orleans.Runtime;

namespace Brummer.Cli.Tests;

/// <summary>
/// A cluster of real <c>brummer</c> processes with mutual TLS (dev:// membership: primary node a and a gateway, with
/// certificates of one CA), and what happens to members and intruders that do not hold a certificate of that CA.
/// </summary>
public sealed class TlsClusterFixture : IAsyncLifetime
{
    internal CertificateSet Cluster { get; private set; } = null!;

    /// <summary>Certificates of another CA, with the same names as the cluster's.</summary>
    internal CertificateSet Other { get; private set; } = null!;

    public StackDirectory Stack { get; } = new(new Dictionary<string, string> { ["server"] = Dummy.Command("say:ready", "sleep") });

    internal ProcessCluster Processes { get; private set; } = null!;

    internal BrummerProcess Primary { get; private set; } = null!;

    public McpClient Mcp { get; private set; } = null!;

    public int PrimarySiloPort { get; } = FreePort.Next();

    public int PrimaryGatewayPort { get; } = FreePort.Next();

    public async ValueTask InitializeAsync()
    {
        Cluster = await CertificateSet.CreateAsync("a", "b", "gateway");
        Other = await CertificateSet.CreateAsync("a", "b", "gateway");
        Processes = new ProcessCluster($"dev://127.0.0.1:{PrimarySiloPort}?gateway={PrimaryGatewayPort}");
        Primary = await Processes.StartNodeAsync("a", Stack.Path, PrimarySiloPort, PrimaryGatewayPort, Cluster.Flags("a"));
        Mcp = await Processes.StartGatewayAsync(null, Cluster.Flags("gateway"));
    }

    public async ValueTask DisposeAsync()
    {
        await Processes.DisposeAsync();
        Cluster.Dispose();
        Other.Dispose();
        Stack.Dispose();
    }
}

public sealed class ClusterTlsTests(TlsClusterFixture cluster, ITestOutputHelper output) : IClassFixture<TlsClusterFixture>
{
    /// <summary>Generous for a busy machine, far below what a refused member did before (retry forever, or 5 minutes).</summary>
    private static readonly TimeSpan RefusalDeadline = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task TlsCluster_NodeWithACertificateOfTheClusterCa_JoinsAndTheGatewayRunsItsScript()
    {
        var b = await cluster.Processes.StartNodeAsync("b", cluster.Stack.Path, 0, 0, cluster.Cluster.Flags("b"));

        await NodesAsync(n => n.GetValueOrDefault("a") == "up" && n.GetValueOrDefault("b") == "up", "a and b up");
        var run = await cluster.Mcp.CallAsync("scripts_run", new { name = "server", node = "b" });
        Assert.Equal("running", run.GetProperty("process").GetProperty("status").GetString());
        await Eventually.UntilAsync(
            async () => (await cluster.Mcp.CallAsync("scripts_status", new { node = "b" })).GetProperty("processes").EnumerateArray()
                .Select(p => p.GetProperty("status").GetString()).ToList(),
            s => s is ["running"],
            "b/server running in the gateway's status");
        await b.WaitForOutputAsync("Cluster TLS: on (certificate 'b', cluster CA 'Brummer cluster CA ");
        // The push connection passed the same mutual TLS.
        await cluster.Processes.Gateway!.WaitForOutputAsync("Node b pushes its changes over a connection of its own");
        await cluster.Primary.WaitForOutputAsync("Cluster TLS: on (certificate 'a', cluster CA 'Brummer cluster CA ");
    }

    [Theory]
    [InlineData(true, "has a certificate not issued by the cluster CA")]
    [InlineData(false, "closed the connection without answering: the cluster requires TLS. Pass --tls-cert, --tls-key and --tls-ca")]
    public async Task TlsCluster_NodeWithAnotherCasCertificateOrNone_IsRefusedAtOnce_SaysWhy_AndIsNeverListed(bool otherCa, string why)
    {
        var name = otherCa ? "intruder-ca" : "intruder-plain";
        var started = Stopwatch.StartNew();
        var node = cluster.Processes.LaunchNode(name, cluster.Stack.Path, 0, 0, otherCa ? cluster.Other.Flags("b") : []);

        var exitCode = await node.WaitForExitAsync(RefusalDeadline);

        output.WriteLine($"refused node exited {exitCode} after {started.ElapsedMilliseconds} ms (process start included)");
        Assert.Equal(2, exitCode);
        var line = Assert.Single(node.Output.Split('\n'), l => l.StartsWith("brummer: ", StringComparison.Ordinal));
        Assert.Contains(why, line, StringComparison.Ordinal);
        Assert.DoesNotContain("joined", node.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("PRIVATE KEY", node.Output, StringComparison.Ordinal);
        var nodes = await NodesAsync(n => n.GetValueOrDefault("a") == "up", "a up");
        Assert.DoesNotContain(name, nodes.Keys);
    }

    [Theory]
    [InlineData(true, "has a certificate not issued by the cluster CA")]
    [InlineData(false, "closed the connection without answering: the cluster requires TLS. Pass --tls-cert, --tls-key and --tls-ca")]
    public async Task TlsCluster_GatewayWithAnotherCasCertificateOrNone_IsRefusedAtOnce_WithOneClearLine(bool otherCa, string why)
    {
        var started = Stopwatch.StartNew();
        var gateway = cluster.Processes.LaunchGateway(otherCa ? cluster.Other.Flags("gateway") : []);

        var exitCode = await gateway.WaitForExitAsync(RefusalDeadline);

        output.WriteLine($"refused gateway exited {exitCode} after {started.ElapsedMilliseconds} ms (process start included)");
        Assert.Equal(2, exitCode);
        var line = Assert.Single(gateway.Output.Split('\n'), l => l.StartsWith("brummer: ", StringComparison.Ordinal));
        Assert.Contains($"the node at 127.0.0.1:{cluster.PrimaryGatewayPort} ", line, StringComparison.Ordinal);
        Assert.Contains(why, line, StringComparison.Ordinal);
        Assert.DoesNotContain("MCP:", gateway.Output, StringComparison.Ordinal);
    }

    /// <summary>With Redis a refused node gets as far as the membership table (joining): it must still never be listed.</summary>
    [Fact]
    public async Task Redis_TlsCluster_NodeWithoutTlsIsRefused_NeverListed_WhileAMemberJoins()
    {
        var redis = ProcessCluster.RequireStore("BRUMMER_TEST_REDIS");
        await using var processes = new ProcessCluster(ProcessCluster.RedisUrl(redis));
        await processes.StartNodeAsync("a", cluster.Stack.Path, 0, 0, cluster.Cluster.Flags("a"));
        var mcp = await processes.StartGatewayAsync(null, cluster.Cluster.Flags("gateway"));

        var intruder = processes.LaunchNode("intruder", cluster.Stack.Path, 0, 0);
        Assert.Equal(2, await intruder.WaitForExitAsync(RefusalDeadline));
        await processes.StartNodeAsync("b", cluster.Stack.Path, 0, 0, cluster.Cluster.Flags("b"));

        Assert.Contains("the cluster requires TLS", intruder.Output, StringComparison.Ordinal);
        var nodes = await Eventually.UntilAsync(
            async () => (await mcp.CallAsync("nodes_list")).GetProperty("nodes").EnumerateArray()
                .ToDictionary(n => n.GetProperty("name").GetString()!, n => n.GetProperty("status").GetString()!),
            n => n.GetValueOrDefault("a") == "up" && n.GetValueOrDefault("b") == "up",
            "a and b up");
        Assert.DoesNotContain("intruder", nodes.Keys);
    }

    /// <summary>
    /// The node's own check, seen from an intruder that trusts any node and speaks TLS on the silo port: without a
    /// certificate of the cluster CA it never hears a word; with one, the node answers (its preamble), which shows the
    /// probe would notice an answer.
    /// </summary>
    [Theory]
    [InlineData("cluster", true)]
    [InlineData("other", false)]
    [InlineData("none", false)]
    public async Task NodeSiloPort_TlsIntruderTrustingAnyNode_IsAnsweredOnlyWithACertificateOfTheClusterCa(string certificate, bool answered)
    {
        using var presented = certificate switch
        {
            "cluster" => cluster.Cluster.Load("b"),
            "other" => cluster.Other.Load("b"),
            _ => null,
        };
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, cluster.PrimarySiloPort, TestContext.Current.CancellationToken);
#pragma warning disable CA5359 // the intruder trusts any node on purpose: only the node's check is under test
        await using var tls = new SslStream(tcp.GetStream(), leaveInnerStreamOpen: false, (_, _, _, _) => true);
#pragma warning restore CA5359

        var read = 0;
        try
        {
            await tls.AuthenticateAsClientAsync(
                new SslClientAuthenticationOptions { TargetHost = "a", LocalCertificateSelectionCallback = (_, _, _, _, _) => presented! },
                TestContext.Current.CancellationToken);
            read = await tls.ReadAsync(new byte[1024], TestContext.Current.CancellationToken).AsTask()
                .WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        }
        catch (Exception ex) when (ex is AuthenticationException or IOException)
        {
            output.WriteLine($"refused: {ex.GetType().Name}: {ex.Message}");
        }

        Assert.Equal(answered, read > 0);
    }

    /// <summary>
    /// The same on the gateway port, with a real Orleans client that trusts any node: it connects and calls a grain
    /// with a certificate of the cluster CA, and cannot connect at all with another CA's or none.
    /// </summary>
    [Theory]
    [InlineData("cluster", true)]
    [InlineData("other", false)]
    [InlineData("none", false)]
    public async Task NodeGatewayPort_OrleansClientTrustingAnyNode_ConnectsOnlyWithACertificateOfTheClusterCa(string certificate, bool connects)
    {
        var presented = certificate switch
        {
            "cluster" => cluster.Cluster.Load("gateway"),
            "other" => cluster.Other.Load("gateway"),
            _ => null,
        };
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.UseOrleansClient(client =>
        {
            client.UseStaticClustering(new IPEndPoint(IPAddress.Loopback, cluster.PrimaryGatewayPort));
            client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (cluster.Processes.ClusterId, ClusteringExtensions.ServiceId));
            client.UseTls(o =>
            {
                o.AllowAnyRemoteCertificate();
                o.LocalCertificate = presented;
                o.LocalClientCertificateSelector = (_, _, _, _, _) => presented;
                o.ClientCertificateMode = presented is null ? RemoteCertificateMode.NoCertificate : RemoteCertificateMode.RequireCertificate;
            });
            client.UseConnectionRetryFilter((_, _) => Task.FromResult(false));
        });
        using var host = builder.Build();

        var failure = await Record.ExceptionAsync(async () =>
        {
            await host.StartAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
            var hosts = await host.Services.GetRequiredService<IClusterClient>().GetGrain<IManagementGrain>(0)
                .GetHosts(onlyActive: true, TestContext.Current.CancellationToken);
            Assert.NotEmpty(hosts);
        });

        output.WriteLine(failure?.ToString() ?? "connected and called IManagementGrain");
        Assert.Equal(connects, failure is null);
        presented?.Dispose();
    }

    private async Task<Dictionary<string, string>> NodesAsync(Func<Dictionary<string, string>, bool> done, string what) =>
        await Eventually.UntilAsync(
            async () => (await cluster.Mcp.CallAsync("nodes_list")).GetProperty("nodes").EnumerateArray()
                .ToDictionary(n => n.GetProperty("name").GetString()!, n => n.GetProperty("status").GetString()!),
            done,
            what);
}
