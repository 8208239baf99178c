using System.Collections.Concurrent;
using Brummer.Gateway.Nodes;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;
using Brummer.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Brummer.Cluster.Tests;

/// <summary>
/// The feed's side of push connections, over a real cluster: while a node pushes over a connection of its own the
/// feed holds no Orleans subscription to it (every change would come twice), and when that connection ends it
/// subscribes again at once, so changes keep arriving without waiting for the next renewal.
/// </summary>
[Collection(SharedClusterTests.Name)]
public sealed class PushFallbackTests(SharedClusterFixture fixture)
{
    private TwoNodeCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task PushConnectionEnds_TheFeedSubscribesThroughOrleansAgain_AndChangesArriveBeforeAnyRenewal()
    {
        var nodes = new SwitchableNodeClients(Cluster.Client);
        await using var gateway = await GatewayView.StartAsync(Cluster.Client, nodes: nodes);
        var subscriptions = Cluster.Services(TwoNodeCluster.B).GetRequiredService<StatusSubscriptions>();
        var subscribed = subscriptions.Count;

        nodes.PushOpened(TwoNodeCluster.B);
        await Eventually.UntilAsync(() => subscriptions.Count < subscribed, "the feed to drop its Orleans subscription to b");

        nodes.PushEnded(TwoNodeCluster.B);
        var run = await Cluster.Process(TwoNodeCluster.B, "y").RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        try
        {
            // Well inside the renewal period: only the resubscription on PushLost can explain a push arriving this soon.
            var seen = await gateway.WaitForAsync(
                TwoNodeCluster.B, "y", p => p.Status == ProcessStatus.Running && p.Pid == run.Process.Pid, "running", timeout: StatusSubscription.RenewEvery / 2);
            Assert.Equal(run.Process.Pid, seen.Pid);
        }
        finally
        {
            await Cluster.Process(TwoNodeCluster.B, "y").StopAsync(cancellationToken: TestContext.Current.CancellationToken);
        }
    }

    /// <summary>Every call through the cluster client, with push connections that open and end when the test says so.</summary>
    private sealed class SwitchableNodeClients(IClusterClient client) : NodeClients
    {
        private readonly SharedNodeClients _inner = new(client);
        private readonly ConcurrentDictionary<string, bool> _direct = new(StringComparer.Ordinal);

        public override IGrainFactory For(string node) => _inner.For(node);

        public override IStatusObserver ObserverFor(string node) => _inner.ObserverFor(node);

        public override IMembershipGrain Membership(int attempt) => _inner.Membership(attempt);

        public override void Register(IStatusObserver observer) => _inner.Register(observer);

        public override ValueTask CloseAsync() => _inner.CloseAsync();

        public override bool PushesDirectly(string node) => _direct.GetValueOrDefault(node);

        public void PushOpened(string node)
        {
            _direct[node] = true;
            OnConnected(node);
        }

        public void PushEnded(string node)
        {
            _direct[node] = false;
            OnPushLost(node);
        }
    }
}
