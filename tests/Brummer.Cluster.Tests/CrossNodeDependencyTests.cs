using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Tests;

namespace Brummer.Cluster.Tests;

/// <summary>A process on node a that depends on one on node b waits for b's pushed status, then starts.</summary>
public sealed class CrossNodeDependencyTests
{
    [Fact]
    public async Task DependencyOnAnotherNode_KeepsItPending_UntilThatNodesProcessRuns()
    {
        await using var cluster = await TwoNodeCluster.StartAsync(shape: (node, script) => node == TwoNodeCluster.A && script.Name == "x"
            ? script with { DependsOn = [new DependencyDefinition(TwoNodeCluster.B, "x", DependencyCondition.ProcessStarted)] }
            : script);
        var ct = TestContext.Current.CancellationToken;

        var pending = await cluster.Client.GetGrain<IProcessGrain>(new ProcessKey(TwoNodeCluster.A, "x").ToString()).RunAsync(cancellationToken: ct);

        Assert.Equal(ProcessStatus.Pending, pending.Process.Status);
        Assert.StartsWith("b/x (process_started): ", pending.Process.WaitingFor, StringComparison.Ordinal);
        Assert.Null(cluster.Table(TwoNodeCluster.A).Get("x")!.Pid);

        await cluster.Client.GetGrain<IProcessGrain>(new ProcessKey(TwoNodeCluster.B, "x").ToString()).RunAsync(cancellationToken: ct);

        var started = await Eventually.UntilAsync(
            () => Task.FromResult(cluster.Table(TwoNodeCluster.A).Get("x")),
            p => p is { Status: ProcessStatus.Running },
            "a/x to start once b/x runs");
        var dependency = cluster.Table(TwoNodeCluster.B).Get("x")!;
        Assert.True(started!.StartedAt >= dependency.StartedAt, $"a/x started {started.StartedAt:O}, before b/x {dependency.StartedAt:O}");
        Assert.Null(started.WaitingFor);
    }
}
