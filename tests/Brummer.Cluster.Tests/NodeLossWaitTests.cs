using Brummer.Gateway;
using Brummer.Gateway.Waiting;
using Brummer.Grains.Abstractions;

namespace Brummer.Cluster.Tests;

/// <summary>A wait on a process of a node that dies answers when the cluster declares the node dead, not at its timeout.</summary>
public sealed class NodeLossWaitTests
{
    [Fact]
    public async Task WaitFor_NodeKilledWhileWaiting_AnswersAtOnceThatTheNodeIsLost_AndWaitsOnTheOtherNodeCarryOn()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var cluster = await TwoNodeCluster.StartAsync(fastFailureDetection: true);
        await using var gateway = await GatewayView.StartAsync(cluster.Client);
        var bX = (await cluster.Process(TwoNodeCluster.B, "x").RunAsync(cancellationToken: ct)).Process;
        await gateway.WaitForAsync(TwoNodeCluster.B, "x", p => p.Status == ProcessStatus.Running && p.Pid == bX.Pid, "running");
        // 'failed' rather than 'exited': b's shutdown may stop x and push that before the silo goes, and stopped is an exit.
        var onB = gateway.Waits.WaitAsync("x", TwoNodeCluster.B, WaitCondition.Failed, TimeSpan.FromSeconds(600), ct);
        var onA = gateway.Waits.WaitAsync("x", TwoNodeCluster.A, WaitCondition.Running, TimeSpan.FromSeconds(600), ct);

        await cluster.Cluster.KillSiloAsync(cluster.Silo(TwoNodeCluster.B), ct);

        var error = await Assert.ThrowsAsync<GatewayException>(() => onB.WaitAsync(TimeSpan.FromSeconds(60), ct));
        Assert.Equal(GatewayErrorKind.Unavailable, error.Kind);
        Assert.StartsWith("Node 'b' is lost (the cluster declared it dead), so 'x' on node 'b' cannot fail until the node rejoins; status lost", error.Message, StringComparison.Ordinal);
        Assert.False(onA.IsCompleted, "a wait on the live node is not answered by another node's loss");
        // Called from inside a: an external client may route its next call through b's gateway before it notices b is
        // gone, and then waits out the response timeout (dotnet/orleans#10165); that is Orleans' gap, not the wait's.
        await cluster.ProcessFrom(TwoNodeCluster.A, TwoNodeCluster.A, "x").RunAsync(cancellationToken: ct);
        var running = await onA.WaitAsync(TimeSpan.FromSeconds(60), ct);
        Assert.Equal("running", running.Process.Status);
        Assert.Equal(TwoNodeCluster.A, running.Process.Node);
    }
}
