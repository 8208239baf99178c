using Brummer.Gateway;
using Brummer.Gateway.Services;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Processes;
using Brummer.Tests;
using Microsoft.Extensions.DependencyInjection;
using Orleans.Runtime;

namespace Brummer.Cluster.Tests;

/// <summary>A node crashes (its silo is killed): the gateway says so, the other node carries on, and nothing moves to it.</summary>
public sealed class NodeLossTests
{
    [Fact]
    public async Task KilledNode_IsReportedLost_WhileTheOtherNodeCarriesOn_AndItsGrainsNeverMove()
    {
        await using var cluster = await TwoNodeCluster.StartAsync(fastFailureDetection: true);
        await using var gateway = await GatewayView.StartAsync(cluster.Client);
        var aX = (await cluster.Process(TwoNodeCluster.A, "x").RunAsync(cancellationToken: TestContext.Current.CancellationToken)).Process;
        var bX = (await cluster.Process(TwoNodeCluster.B, "x").RunAsync(cancellationToken: TestContext.Current.CancellationToken)).Process;
        var bY = (await cluster.Process(TwoNodeCluster.B, "y").RunAsync(cancellationToken: TestContext.Current.CancellationToken)).Process;
        await gateway.WaitForAsync(TwoNodeCluster.B, "y", p => p.Status == ProcessStatus.Running && p.Pid == bY.Pid, "running");
        await gateway.WaitForAsync(TwoNodeCluster.B, "x", p => p.Status == ProcessStatus.Running && p.Pid == bX.Pid, "running");
        await gateway.WaitForAsync(TwoNodeCluster.A, "x", p => p.Status == ProcessStatus.Running && p.Pid == aX.Pid, "running");
        var bIncarnation = gateway.Node(TwoNodeCluster.B).Incarnation;
        var watchdogB = cluster.Services(TwoNodeCluster.B).GetRequiredService<ProcessWatchdog>().Pid;

        await cluster.Cluster.KillSiloAsync(cluster.Silo(TwoNodeCluster.B), TestContext.Current.CancellationToken);

        // The gateway learns from membership (never from b) that b is dead, and keeps its last known state, marked lost.
        var lost = (await gateway.WaitForNodeAsync(TwoNodeCluster.B, n => n.IsLost, "lost", TimeSpan.FromSeconds(30)))!;
        Assert.Equal("lost", lost.StatusAt(DateTimeOffset.UtcNow));
        Assert.Equal(bIncarnation, lost.Incarnation);
        Assert.Equal(["only-b", "x", "y", "z"], lost.ScriptList.Select(s => s.Name).Order(StringComparer.Ordinal));
        Assert.Equal(["x", "y"], lost.Processes.Select(p => p.Name));
        Assert.All(lost.Processes, p =>
        {
            Assert.Equal(ProcessStatus.Lost, p.Status);
            // The last status the gateway heard of: running, or, if b's shutdown got to stop it and push that first, stopped.
            Assert.Matches("^node 'b' lost; last known status: (running|stopping|stopped)$", p.Reason);
        });
        Assert.Equal(bX.Pid, lost.Processes.Single(p => p.Name == "x").Pid);
        Assert.Equal(bX.StartedAt, lost.Processes.Single(p => p.Name == "x").StartedAt);
        Assert.Equal(bY.Pid, lost.Processes.Single(p => p.Name == "y").Pid);

        // a is up and still pushes its changes.
        Assert.False(gateway.Node(TwoNodeCluster.A).IsLost);
        Assert.Equal(ProcessStatus.Running, gateway.Process(TwoNodeCluster.A, "x")!.Status);
        var aY = (await cluster.Process(TwoNodeCluster.A, "y").RunAsync(cancellationToken: TestContext.Current.CancellationToken)).Process;
        await gateway.WaitForAsync(TwoNodeCluster.A, "y", p => p.Status == ProcessStatus.Running && p.Pid == aY.Pid, "running after b died");
        await cluster.Process(TwoNodeCluster.A, "x").StopAsync(cancellationToken: TestContext.Current.CancellationToken);
        await gateway.WaitForAsync(TwoNodeCluster.A, "x", p => p.Status == ProcessStatus.Stopped, "stopped after b died");
        Assert.True(gateway.Node(TwoNodeCluster.B).IsLost, "b stays lost");

        // b's grains are never activated on a: calling one is an error that says b is gone.
        var process = await Assert.ThrowsAnyAsync<Exception>(() => cluster.Process(TwoNodeCluster.B, "x").StopAsync(cancellationToken: TestContext.Current.CancellationToken));
        var node = await Assert.ThrowsAnyAsync<Exception>(() => cluster.Client.GetGrain<INodeGrain>(TwoNodeCluster.B).GetSnapshotAsync());
        var fresh = await Assert.ThrowsAnyAsync<Exception>(() => cluster.Process(TwoNodeCluster.B, "z").RunAsync(cancellationToken: TestContext.Current.CancellationToken));
        foreach (var error in new[] { process, node, fresh })
        {
            Assert.Contains("Node 'b' is not in the cluster. Live nodes: a.", error.Message, StringComparison.Ordinal);
        }

        var management = cluster.Client.GetGrain<IManagementGrain>(0);
        var onA = await management.GetDetailedGrainStatistics(null, [cluster.Silo(TwoNodeCluster.A).SiloAddress], TestContext.Current.CancellationToken);
        Assert.DoesNotContain(onA, g => g.GrainId.Key.ToString() is "b" or ['b', '/', ..]);

        // The gateway's service layer refuses to control b, saying which nodes are up.
        var refused = await Assert.ThrowsAsync<GatewayException>(() => gateway.Scripts.RunAsync("x", TwoNodeCluster.B, TestContext.Current.CancellationToken));
        Assert.Equal(GatewayErrorKind.Unavailable, refused.Kind);
        Assert.Contains("Node 'b' is lost", refused.Message, StringComparison.Ordinal);
        Assert.Contains("Nodes up: a.", refused.Message, StringComparison.Ordinal);

        // No process of b outlives it (its shutdown or its watchdog ended them).
        await Eventually.UntilAsync(
            () => !OsProcesses.IsAlive(bX.Pid!.Value) && !OsProcesses.IsAlive(bY.Pid!.Value) &&
                  OsProcesses.GroupMembers(bX.Pid!.Value).Count == 0 && OsProcesses.GroupMembers(bY.Pid!.Value).Count == 0,
            "b's process groups to be gone");
        if (watchdogB is { } watchdog)
        {
            await Eventually.UntilAsync(() => !OsProcesses.IsAlive(watchdog), "b's watchdog to exit");
        }
    }

    [Fact]
    public async Task RestartedNode_ReplacesItsLostViewWithItsFreshState()
    {
        await using var cluster = await TwoNodeCluster.StartAsync(fastFailureDetection: true);
        await using var gateway = await GatewayView.StartAsync(cluster.Client);
        var before = (await cluster.Process(TwoNodeCluster.B, "x").RunAsync(cancellationToken: TestContext.Current.CancellationToken)).Process;
        await gateway.WaitForAsync(TwoNodeCluster.B, "x", p => p.Status == ProcessStatus.Running && p.Pid == before.Pid, "running");
        var oldIncarnation = gateway.Node(TwoNodeCluster.B).Incarnation;
        await cluster.Cluster.KillSiloAsync(cluster.Silo(TwoNodeCluster.B), TestContext.Current.CancellationToken);
        await gateway.WaitForNodeAsync(TwoNodeCluster.B, n => n.IsLost, "lost", TimeSpan.FromSeconds(30));

        // The same node comes back: a new silo named b over the same directory (the builder reuses instance 1).
        var restarted = await cluster.Cluster.StartAdditionalSiloAsync();
        Assert.Equal(TwoNodeCluster.B, restarted.Name);

        // Its fresh state replaces the lost view: a new run of the node, up, with nothing run yet and nothing lost.
        var back = (await gateway.WaitForNodeAsync(TwoNodeCluster.B, n => !n.IsLost, "back up", TimeSpan.FromSeconds(30)))!;
        Assert.Equal(cluster.Table(TwoNodeCluster.B).Incarnation, back.Incarnation);
        Assert.NotEqual(oldIncarnation, back.Incarnation);
        Assert.Empty(back.Processes);
        Assert.DoesNotContain(gateway.Cache.Current.Processes, p => p.Status == ProcessStatus.Lost);

        // Its scripts run on it again, and the gateway hears of them by push.
        var after = (await cluster.Process(TwoNodeCluster.B, "x").RunAsync(cancellationToken: TestContext.Current.CancellationToken)).Process;
        Assert.NotEqual(before.Pid, after.Pid);
        Assert.Equal([TwoNodeCluster.B], cluster.RegisteredOn(cluster.Process(TwoNodeCluster.B, "x")));
        await gateway.WaitForAsync(TwoNodeCluster.B, "x", p => p.Status == ProcessStatus.Running && p.Pid == after.Pid, "running on the restarted node");
    }
}
