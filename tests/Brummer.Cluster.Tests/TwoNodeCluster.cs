using Orleans.GrainDirectory;
using Brummer.Grains.Placement;
using System.Collections.Concurrent;
using Brummer.Grains;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Processes;
using Brummer.Grains.Status;
using Brummer.Silo.Placement;
using Brummer.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Configuration;
using Orleans.Hosting;
using Orleans.TestingHost;

namespace Brummer.Cluster.Tests;

/// <summary>
/// A real two-silo Orleans cluster (<see cref="InProcessTestCluster"/>) whose silos are Brummer nodes "a" and "b", each
/// wired exactly as <c>brummer node</c> wires one (node services, node-pinned placement, node shutdown) over its own
/// temp stack directory whose package.json scripts run the Dummy program through npm.
/// </summary>
public sealed class TwoNodeCluster : IAsyncDisposable
{
    public const string A = "a";
    public const string B = "b";
    public static readonly string[] Nodes = [A, B];

    private readonly Dictionary<string, StackDirectory> _stacks;
    private readonly ConcurrentDictionary<string, int> _snapshotPulls;
    private bool _disposed;

    private TwoNodeCluster(InProcessTestCluster cluster, Dictionary<string, StackDirectory> stacks, ConcurrentDictionary<string, int> snapshotPulls, string marker)
    {
        Cluster = cluster;
        _stacks = stacks;
        _snapshotPulls = snapshotPulls;
        Marker = marker;
    }

    public InProcessTestCluster Cluster { get; }

    public IClusterClient Client => Cluster.Client;

    /// <summary>Appears on the command line of every OS process this cluster's scripts start, so leftovers can be found.</summary>
    public string Marker { get; }

    /// <summary>
    /// Scripts of a node: <c>x</c> prints a line naming its node then sleeps; <c>y</c> and <c>z</c> sleep;
    /// <c>only-NODE</c> exists on that node only and exits 0 at once.
    /// </summary>
    public static Dictionary<string, string> Scripts(string node, string marker) => new()
    {
        ["x"] = Dummy.Command($"say:{marker}", $"say:x on {node}", "sleep"),
        ["y"] = Dummy.Command($"say:{marker}", "sleep"),
        ["z"] = Dummy.Command($"say:{marker}", "sleep"),
        [$"only-{node}"] = Dummy.Command($"say:{marker}", $"say:done on {node}", "exit:0"),
    };

    /// <summary>Deploys the cluster. <paramref name="fastFailureDetection"/> makes a killed silo declared dead in seconds.</summary>
    /// <param name="shape">Changes a node's definitions before it starts (dependencies, policies), by node.</param>
    public static async Task<TwoNodeCluster> StartAsync(bool fastFailureDetection = false, Func<string, ScriptDefinition, ScriptDefinition>? shape = null)
    {
        var marker = $"brummer-cluster-{Guid.NewGuid():n}";
        var stacks = Nodes.ToDictionary(n => n, n => new StackDirectory(Scripts(n, marker)), StringComparer.Ordinal);
        var snapshotPulls = new ConcurrentDictionary<string, int>(StringComparer.Ordinal);
        var builder = new InProcessTestClusterBuilder(2);
        builder.Options.ConfigureFileLogging = false;
        builder.ConfigureSiloHost((silo, host) =>
        {
            // The builder names silos Silo_0, Silo_1, ... and reads the name back when it configures SiloOptions.SiloName
            // after this delegate: renaming it here makes the silo's name (and so its node) "a" or "b".
            var node = Nodes[int.Parse(silo.SiloName[(silo.SiloName.LastIndexOf('_') + 1)..], System.Globalization.CultureInfo.InvariantCulture)];
            silo.SiloName = node;

            // Orleans first, then the node's services: hosted services stop in reverse order, so NodeShutdown stops
            // the node's processes before the silo goes down (as SiloHostingExtensions does).
            host.UseOrleans(orleans =>
            {
                // Counts the full pulls each node serves, so a test can tell a pushed change from a resync.
                orleans.AddIncomingGrainCallFilter(call =>
                {
                    if (call.InterfaceMethod?.Name == nameof(INodeGrain.GetSnapshotAsync))
                    {
                        snapshotPulls.AddOrUpdate(node, 1, (_, count) => count + 1);
                    }

                    return call.Invoke();
                });
                if (fastFailureDetection)
                {
                    orleans.Configure<ClusterMembershipOptions>(o =>
                    {
                        o.ProbeTimeout = TimeSpan.FromSeconds(1);
                        o.NumMissedProbesLimit = 2;
                    });
                }
            });
            var catalog = PackageJsonDiscovery.Discover(stacks[node].Path);
            if (shape is not null)
            {
                catalog = new ScriptCatalog(catalog.Directory, catalog.Scripts.Select(s => shape(node, s)));
            }

            host.Services.AddBrummerNode(node, $"127.0.0.1:{silo.SiloPort}", catalog, new ProcessOptions { StopTimeout = TimeSpan.FromSeconds(2) }, $"127.0.0.1:{silo.GatewayPort}");
            NodePinnedPlacementDirector.Register(host.Services);
            host.Services.AddBrummerNodeShutdown();
        });

        var cluster = builder.Build();
        try
        {
            await cluster.DeployAsync();
        }
        catch
        {
            await cluster.DisposeAsync();
            foreach (var stack in stacks.Values)
            {
                stack.Dispose();
            }

            throw;
        }

        return new TwoNodeCluster(cluster, stacks, snapshotPulls, marker);
    }

    /// <summary>How many times a node has served its full snapshot (<see cref="INodeGrain.GetSnapshotAsync"/>) to anyone.</summary>
    public int SnapshotPulls(string node) => _snapshotPulls.GetValueOrDefault(node);

    public InProcessSiloHandle Silo(string node) => Cluster.Silos.Single(s => s.Name == node);

    public IServiceProvider Services(string node) => Silo(node).ServiceProvider;

    /// <summary>
    /// The nodes whose silo holds an activation of <paramref name="grain"/> in its node-local directory (where
    /// node-pinned grains are registered: on their own node, nowhere else).
    /// </summary>
    public IReadOnlyList<string> RegisteredOn(IAddressable grain) =>
        [.. Cluster.Silos.Where(s => s.ServiceProvider.GetRequiredKeyedService<IGrainDirectory>(NodePinnedPlacement.DirectoryName) is NodeLocalGrainDirectory directory &&
            directory.Holds(grain.GetGrainId())).Select(s => s.Name)];

    /// <summary>The node's own status table, read in its silo (not through any grain or gateway).</summary>
    public NodeStatusTable Table(string node) => Services(node).GetRequiredService<NodeStatusTable>();

    public IProcessGrain Process(string node, string script) => Client.GetGrain<IProcessGrain>(new ProcessKey(node, script).ToString());

    /// <summary>A process grain as seen from inside <paramref name="caller"/>'s silo (its calls take no client gateway).</summary>
    public IProcessGrain ProcessFrom(string caller, string node, string script) =>
        Services(caller).GetRequiredService<IGrainFactory>().GetGrain<IProcessGrain>(new ProcessKey(node, script).ToString());

    /// <summary>Live OS processes started from this cluster's scripts (found by the marker on their command line).</summary>
    public List<int> LiveScriptProcesses() => OsProcesses.WithCommandLine(Marker);

    /// <summary>
    /// Stops the silos (each node's shutdown stops its processes), then checks that no process of this cluster's
    /// scripts is left; any that is gets killed and the check fails.
    /// </summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        await Cluster.StopAllSilosAsync();
        await Cluster.DisposeAsync();
        try
        {
            var left = LiveScriptProcesses();
            if (left.Count > 0)
            {
                foreach (var pid in left)
                {
                    KillQuietly(pid);
                }

                throw new InvalidOperationException($"Processes left behind after the cluster stopped: {string.Join(", ", left)}");
            }
        }
        finally
        {
            foreach (var stack in _stacks.Values)
            {
                stack.Dispose();
            }
        }
    }

    private static void KillQuietly(int pid)
    {
        try
        {
            using var process = System.Diagnostics.Process.GetProcessById(pid);
            process.Kill(entireProcessTree: true);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException or System.ComponentModel.Win32Exception)
        {
            // Already gone.
        }
    }
}
