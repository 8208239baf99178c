using System.Collections.Concurrent;
using Brummer.Gateway;
using Brummer.Gateway.Nodes;
using Brummer.Gateway.Services;
using Brummer.Gateway.Status;
using Brummer.Gateway.Waiting;
using Brummer.Grains.Abstractions;
using Brummer.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.Cluster.Tests;

/// <summary>
/// One gateway's view of the cluster: the gateway's own services (<see cref="GatewayExtensions.AddBrummerGateway"/>,
/// so a real <c>ClusterStatusFeed</c> with its own observer feeding a <see cref="ClusterStatusCache"/>) hosted over a
/// given cluster client, without HTTP. Several can share one client, like several gateways sharing a cluster.
/// </summary>
public sealed class GatewayView : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly CapturedLogs _log;

    private GatewayView(IHost host, CapturedLogs log)
    {
        _host = host;
        _log = log;
        Cache = host.Services.GetRequiredService<ClusterStatusCache>();
    }

    public ClusterStatusCache Cache { get; }

    /// <summary>The gateway's service layer (what MCP tools and the JSON API call).</summary>
    public ScriptsService Scripts => _host.Services.GetRequiredService<ScriptsService>();

    /// <summary>The gateway's waits (what wait_for and the wait route call).</summary>
    public WaitService Waits => _host.Services.GetRequiredService<WaitService>();

    /// <summary>What the gateway logged at Information and above (for failure messages).</summary>
    public string Log => string.Join(Environment.NewLine, _log.Lines);

    /// <summary>
    /// Starts the gateway services and waits until they have read every node. The resync safety net is pushed out to
    /// <paramref name="resyncInterval"/> (10 minutes by default), so within a test only pushed changes (and the pulls
    /// a gap or a membership change asks for) can move the cache.
    /// </summary>
    /// <param name="nodes">The way to each node; by default every call goes through <paramref name="client"/>.</param>
    public static async Task<GatewayView> StartAsync(IClusterClient client, TimeSpan? resyncInterval = null, NodeClients? nodes = null)
    {
        var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true, ApplicationName = "brummer-gateway-test" });
        var log = new CapturedLogs();
        builder.Logging.AddProvider(log).SetMinimumLevel(LogLevel.Information);
        builder.Services.AddSingleton(client);
        if (nodes is not null)
        {
            builder.Services.AddSingleton(nodes);
        }

        builder.AddBrummerGateway(o => o.ResyncInterval = resyncInterval ?? TimeSpan.FromMinutes(10));
        var host = builder.Build();
        using var timeout = new CancellationTokenSource(Eventually.DefaultTimeout);
        await host.StartAsync(timeout.Token);
        await host.Services.WaitForClusterViewAsync(timeout.Token);
        return new GatewayView(host, log);
    }

    public NodeView Node(string node) =>
        Cache.Current.Find(node) ?? throw new InvalidOperationException($"The gateway does not know node '{node}'.");

    public ProcessInfo? Process(string node, string script) =>
        Cache.Current.Find(node)?.Processes.FirstOrDefault(p => p.Name == script);

    /// <summary>Waits until the cache's view of one process satisfies <paramref name="done"/>.</summary>
    public async Task<ProcessInfo> WaitForAsync(string node, string script, Func<ProcessInfo, bool> done, string what, TimeSpan? timeout = null)
    {
        var seen = await Eventually.UntilAsync(
            () => Task.FromResult(Process(node, script)),
            p => p is not null && done(p),
            $"the gateway to see {node}/{script} {what}{Environment.NewLine}gateway log:{Environment.NewLine}{Log}",
            timeout);
        return seen!;
    }

    /// <summary>Waits until the cache's view of a node satisfies <paramref name="done"/>.</summary>
    public Task<NodeView?> WaitForNodeAsync(string node, Func<NodeView, bool> done, string what, TimeSpan? timeout = null) =>
        Eventually.UntilAsync(
            () => Task.FromResult(Cache.Current.Find(node)),
            n => n is not null && done(n),
            $"the gateway to see node {node} {what}{Environment.NewLine}gateway log:{Environment.NewLine}{Log}",
            timeout);

    public async ValueTask DisposeAsync()
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await _host.StopAsync(timeout.Token);
        _host.Dispose();
    }
}
