using Brummer.Grains.Abstractions;
using Brummer.Tests;

namespace Brummer.Cluster.Tests;

/// <summary>
/// The gateway's feed over a real two-node cluster: it aggregates both nodes, and later changes reach it by push.
/// Control calls here go straight to the process grains (not through a gateway), so nothing but the feed can
/// update a cache, and the resync safety net is 10 minutes away.
/// </summary>
[Collection(SharedClusterTests.Name)]
public sealed class StatusFeedTests(SharedClusterFixture fixture)
{
    private TwoNodeCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task Feed_TwoNodes_AggregatesScriptsAndProcessesAndReceivesPushedChanges()
    {
        var onB = await Cluster.Process(TwoNodeCluster.B, "y").RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        await using var gateway = await GatewayView.StartAsync(Cluster.Client);

        // Both nodes, each with its own scripts.
        Assert.Equal(TwoNodeCluster.Nodes, gateway.Cache.Current.Nodes.Select(n => n.Name));
        foreach (var node in TwoNodeCluster.Nodes)
        {
            var view = gateway.Node(node);
            Assert.False(view.IsLost);
            Assert.Equal(Cluster.Table(node).Incarnation, view.Incarnation);
            Assert.Equal(TwoNodeCluster.Scripts(node, Cluster.Marker).Keys.Order(StringComparer.Ordinal), view.ScriptList.Select(s => s.Name).Order(StringComparer.Ordinal));
            Assert.All(view.ScriptList, s => Assert.Equal(node, s.Node));
        }

        // What ran before the gateway started came with the first pull.
        Assert.True(Cluster.SnapshotPulls(TwoNodeCluster.B) > 0, "the gateway's first view of b was pulled");
        var y = await gateway.WaitForAsync(TwoNodeCluster.B, "y", p => p.Status == ProcessStatus.Running, "running");
        Assert.Equal(onB.Process.Pid, y.Pid);

        // A process that ends on its own on a: only the node knows, so only a push can tell the gateway.
        await Cluster.Process(TwoNodeCluster.A, "only-a").RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        var done = await gateway.WaitForAsync(TwoNodeCluster.A, "only-a", p => p.Status == ProcessStatus.Succeeded, "succeeded");
        Assert.Equal(0, done.ExitCode);
        Assert.Equal("done on a", done.LastLine);

        // A state change on b reaches the gateway: stop, then a run the gateway never asked for. b serves no full
        // snapshot meanwhile: the changes came as pushed deltas, not through a resync.
        var versionBefore = gateway.Node(TwoNodeCluster.B).Version;
        var pullsBefore = Cluster.SnapshotPulls(TwoNodeCluster.B);
        var stopped = await Cluster.Process(TwoNodeCluster.B, "y").StopAsync(cancellationToken: TestContext.Current.CancellationToken);
        var seen = await gateway.WaitForAsync(TwoNodeCluster.B, "y", p => p.Status == ProcessStatus.Stopped && p.Pid == onB.Process.Pid, "stopped");
        Assert.Equal(stopped, seen);
        Assert.True(gateway.Node(TwoNodeCluster.B).Version >= stopped.Version, "b's view moved to the version of the stop");
        Assert.True(gateway.Node(TwoNodeCluster.B).Version > versionBefore);

        var again = await Cluster.Process(TwoNodeCluster.B, "y").RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        var running = await gateway.WaitForAsync(TwoNodeCluster.B, "y", p => p.Status == ProcessStatus.Running && p.Pid == again.Process.Pid, "running again");
        Assert.Equal(0, running.Restarts);
        await Cluster.Process(TwoNodeCluster.B, "y").StopAsync(cancellationToken: TestContext.Current.CancellationToken);
        await gateway.WaitForAsync(TwoNodeCluster.B, "y", p => p.Status == ProcessStatus.Stopped && p.Pid == again.Process.Pid, "stopped again");
        Assert.Equal(pullsBefore, Cluster.SnapshotPulls(TwoNodeCluster.B));

        // Every process of every node in one list.
        Assert.Equal(
            gateway.Cache.Current.Nodes.Sum(n => n.Processes.Length),
            gateway.Cache.Current.Processes.Length);
        Assert.Contains(gateway.Cache.Current.Processes, p => p.Node == TwoNodeCluster.A && p.Name == "only-a");
        Assert.Contains(gateway.Cache.Current.Processes, p => p.Node == TwoNodeCluster.B && p.Name == "y");
    }

    [Fact]
    public async Task Feed_TwoGatewaysAtOnce_BothConvergeToEachNodesOwnState()
    {
        await using var first = await GatewayView.StartAsync(Cluster.Client);
        await using var second = await GatewayView.StartAsync(Cluster.Client);

        // A series of changes on both nodes, interleaved.
        await Cluster.Process(TwoNodeCluster.A, "z").RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        await Cluster.Process(TwoNodeCluster.B, "z").RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        await Cluster.Process(TwoNodeCluster.B, "x").RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        await Cluster.Process(TwoNodeCluster.A, "z").StopAsync(cancellationToken: TestContext.Current.CancellationToken);
        await Cluster.Process(TwoNodeCluster.B, "z").RestartAsync(cancellationToken: TestContext.Current.CancellationToken);
        await Cluster.Process(TwoNodeCluster.A, "y").RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        await Cluster.Process(TwoNodeCluster.B, "x").StopAsync(cancellationToken: TestContext.Current.CancellationToken);
        var onlyB = (await Cluster.Process(TwoNodeCluster.B, "only-b").RunAsync(cancellationToken: TestContext.Current.CancellationToken)).Process;
        await Eventually.UntilAsync(
            () => Cluster.Table(TwoNodeCluster.B).Get("only-b") is { Status: ProcessStatus.Succeeded } done && done.Pid == onlyB.Pid,
            "b/only-b to exit on its own");

        // Each gateway ends up with exactly what each node's own table holds.
        foreach (var node in TwoNodeCluster.Nodes)
        {
            foreach (var gateway in new[] { first, second })
            {
                await Eventually.UntilAsync(
                    () => Task.FromResult(Differences(node, gateway)),
                    differences => differences.Length == 0,
                    $"a gateway to converge on node {node}'s state");
            }
        }

        Assert.Equal(ProcessStatus.Stopped, first.Process(TwoNodeCluster.A, "z")!.Status);
        Assert.Equal(ProcessStatus.Running, second.Process(TwoNodeCluster.B, "z")!.Status);
        Assert.Equal(1, second.Process(TwoNodeCluster.B, "z")!.Restarts);
        Assert.Equal(ProcessStatus.Succeeded, first.Process(TwoNodeCluster.B, "only-b")!.Status);
        // Still-running processes may republish (their last output line) meanwhile: compare until both caught up.
        await Eventually.UntilAsync(
            () => first.Cache.Current.Processes.Select(p => (p.Node, p.Name, p.Status, p.Pid, p.Version))
                .SequenceEqual(second.Cache.Current.Processes.Select(p => (p.Node, p.Name, p.Status, p.Pid, p.Version))),
            "both gateways to hold the same view");

        await Cluster.Process(TwoNodeCluster.B, "z").StopAsync(cancellationToken: TestContext.Current.CancellationToken);
        await Cluster.Process(TwoNodeCluster.A, "y").StopAsync(cancellationToken: TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Feed_QuietNodes_HeartbeatsRefreshFreshnessWithoutNewViews()
    {
        await using var gateway = await GatewayView.StartAsync(Cluster.Client);
        await HeartbeatFromEachNodeAsync(gateway); // let whatever was in flight when the gateway started settle

        var quiet = gateway.Cache.Current;
        await HeartbeatFromEachNodeAsync(gateway);

        // Both nodes were heard from again, yet nothing was rebuilt: readers keep sharing the same view.
        Assert.Same(quiet, gateway.Cache.Current);
        foreach (var node in TwoNodeCluster.Nodes)
        {
            Assert.Same(quiet.Find(node), gateway.Cache.Current.Find(node));
            Assert.True(gateway.Node(node).ReceivedAt > quiet.AsOf, $"node {node} was heard from after the view was built");
        }
    }

    /// <summary>Waits (up to a few heartbeat intervals) until the gateway has heard from every node since now.</summary>
    private static async Task HeartbeatFromEachNodeAsync(GatewayView gateway)
    {
        var heard = TwoNodeCluster.Nodes.ToDictionary(n => n, n => gateway.Node(n).ReceivedAt, StringComparer.Ordinal);
        await Eventually.UntilAsync(
            () => TwoNodeCluster.Nodes.All(n => gateway.Node(n).ReceivedAt > heard[n]),
            "a heartbeat from every node",
            TimeSpan.FromSeconds(10));
    }

    /// <summary>What the gateway holds of a node that differs from the node's own table (empty once converged).</summary>
    private string Differences(string node, GatewayView gateway)
    {
        var truth = Cluster.Table(node).Snapshot.Processes.OrderBy(p => p.Name, StringComparer.Ordinal).ToList();
        var seen = gateway.Cache.Current.Find(node)?.Processes.ToList() ?? [];
        return truth.SequenceEqual(seen) ? string.Empty : $"node has [{string.Join("; ", truth)}], gateway has [{string.Join("; ", seen)}]";
    }
}
