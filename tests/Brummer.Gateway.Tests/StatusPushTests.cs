using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Brummer.Clustering.Tls;
using Brummer.Gateway.Nodes;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;
using Brummer.Grains.Status.Push;
using Brummer.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Orleans.Serialization;

namespace Brummer.Gateway.Tests;

/// <summary>
/// The push connection between a node and a gateway, both ends real (sockets, TLS with certificates of a cluster CA,
/// the Orleans serializer), in one process: the node's listener and the gateway's receiver.
/// </summary>
public sealed class StatusPushTests
{
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Changes_ArriveInOrder_OnTheReceiversOwnThread_NotTheThreadPool()
    {
        await using var node = await PushNode.StartAsync("b");
        var observer = new RecordingObserver();
        using var receiver = await node.ConnectAsync(observer);

        for (var version = 1; version <= 3; version++)
        {
            node.Push(node.Delta(version - 1, version));
        }

        for (var version = 1; version <= 3; version++)
        {
            var got = observer.Next(Bound);
            Assert.Equal(version, got.Delta.ToVersion);
            Assert.False(got.Leaving);
            Assert.False(got.OnThreadPool, "the delta was applied on a thread-pool thread");
            Assert.Equal("brummer push b", got.Thread);
        }
    }

    [Fact]
    public async Task Leaving_IsAcknowledgedToTheNode_AndReachesTheObserverAsAGoodbye()
    {
        await using var node = await PushNode.StartAsync("b");
        var observer = new RecordingObserver();
        using var receiver = await node.ConnectAsync(observer);

        // Completes only once the gateway acknowledged it (or the connection ended, which the next assert rules out).
        await node.LeaveAsync(node.Delta(0, 4, leaving: true)).WaitAsync(Bound, TestContext.Current.CancellationToken);

        var got = observer.Next(Bound);
        Assert.True(got.Leaving);
        Assert.Equal(4, got.Delta.ToVersion);
        Assert.True(receiver.IsOpen, "the connection ended before the goodbye was acknowledged");
    }

    [Fact]
    public async Task TheNodeStops_TheReceiverSaysItEnded_SoTheGatewayFallsBack()
    {
        var node = await PushNode.StartAsync("b");
        var observer = new RecordingObserver();
        using var receiver = await node.ConnectAsync(observer);
        var ended = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        receiver.Ended += (_, reason) => ended.TrySetResult(reason);

        await node.DisposeAsync();

        var reason = await ended.Task.WaitAsync(Bound, TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrWhiteSpace(reason));
        Assert.False(receiver.IsOpen);
        Assert.True(receiver.HasEnded);
    }

    [Fact]
    public async Task ClosedByTheGateway_NoEndedEvent_AndTheNodeDropsTheSubscription()
    {
        await using var node = await PushNode.StartAsync("b");
        var receiver = await node.ConnectAsync(new RecordingObserver());
        var ended = false;
        receiver.Ended += (_, _) => ended = true;

        receiver.Dispose();

        await Eventually.UntilAsync(() => node.Subscriptions.Count == 0, "the node to drop the closed connection's subscription");
        Assert.False(ended, "closing on purpose raised Ended, which would make the gateway resubscribe through Orleans");
    }

    [Fact]
    public async Task AnotherNodeAnswers_TheGatewayHangsUp_SayingWhoAnswered()
    {
        await using var node = await PushNode.StartAsync("b");
        using var receiver = node.Receiver(name: "c");

        var problem = await receiver.OpenAsync(tls: null, CancellationToken.None);

        Assert.Equal($"it is node b (run {node.Table.Incarnation}), not c (run {node.Table.Incarnation})", problem);
        Assert.False(receiver.IsOpen);
    }

    [Fact]
    public async Task AnOlderRunOfTheNode_IsNotTakenForTheCurrentOne()
    {
        await using var node = await PushNode.StartAsync("b");
        using var receiver = node.Receiver(incarnation: node.Table.Incarnation - 1);

        var problem = await receiver.OpenAsync(tls: null, CancellationToken.None);

        Assert.NotNull(problem);
        Assert.Contains("not b (run", problem, StringComparison.Ordinal);
    }

    [Fact]
    public async Task NoNodeListening_OpenSaysWhy_AndNothingIsLeftOpen()
    {
        var endpoint = new IPEndPoint(IPAddress.Loopback, FreeLoopbackPort());
        using var receiver = new StatusPushReceiver("b", 1, endpoint, new RecordingObserver(), PushNode.NewSerializer());

        var problem = await receiver.OpenAsync(tls: null, CancellationToken.None);

        Assert.NotNull(problem);
        Assert.True(receiver.HasEnded || !receiver.IsOpen);
    }

    [Theory]
    [InlineData("GET / HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")] // a web page's fetch to the port
    [InlineData("BRUMMER-PUSH/2\n")]
    public async Task APeerThatDoesNotGreetAsAGateway_GetsNothing_AndIsNeverSubscribed(string greeting)
    {
        await using var node = await PushNode.StartAsync("b");
        using var client = new TcpClient();
        await client.ConnectAsync(node.Port.Endpoint, TestContext.Current.CancellationToken);
        var stream = client.GetStream();
        await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes(greeting), TestContext.Current.CancellationToken);

        var buffer = new byte[256];
        var read = await stream.ReadAsync(buffer, TestContext.Current.CancellationToken).AsTask().WaitAsync(Bound, TestContext.Current.CancellationToken);

        Assert.Equal(0, read); // hung up without a byte: not even the node's name
        Assert.Equal(0, node.Subscriptions.Count);
    }

    [Fact]
    public async Task MoreConnectionsThanTheCap_TheExtraOneIsHungUpOn_AndAClosedOneFreesItsPlace()
    {
        await using var node = await PushNode.StartAsync("b", maxConnections: 1);
        var first = await node.ConnectAsync(new RecordingObserver());
        using var second = node.Receiver();

        var refused = await second.OpenAsync(tls: null, CancellationToken.None);

        Assert.NotNull(refused);
        Assert.Equal(1, node.Subscriptions.Count);
        first.Dispose();
        await Eventually.UntilAsync(() => node.Subscriptions.Count == 0, "the node to drop the closed connection");
        using var third = await node.ConnectAsync(new RecordingObserver());
        Assert.True(third.IsOpen);
    }

    [Fact]
    public async Task Tls_AMemberOfTheCluster_GetsThePushes()
    {
        using var certificates = new CertificateFiles();
        using var nodeTls = certificates.Member("b");
        using var gatewayTls = certificates.Member("gateway");
        await using var node = await PushNode.StartAsync("b", nodeTls.SslServerOptions());
        var observer = new RecordingObserver();
        using var receiver = await node.ConnectAsync(observer, gatewayTls.SslClientOptions());

        node.Push(node.Delta(0, 1));

        Assert.Equal(1, observer.Next(Bound).Delta.ToVersion);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Tls_AGatewayWithAnotherCasCertificateOrNone_IsRefused_AndNeverSubscribed(bool otherCa)
    {
        using var certificates = new CertificateFiles();
        using var nodeTls = certificates.Member("b");
        using var strangerTls = certificates.Stranger("gateway");
        await using var node = await PushNode.StartAsync("b", nodeTls.SslServerOptions());
        using var receiver = node.Receiver();

        // Without TLS the gateway's greeting is not a TLS hello, so the handshake fails on the node's side.
        var clientTls = otherCa ? strangerTls.SslClientOptions() : null;
        var problem = await receiver.OpenAsync(clientTls, CancellationToken.None);

        Assert.NotNull(problem);
        Assert.False(receiver.IsOpen);
        Assert.Equal(0, node.Subscriptions.Count);
    }

    [Fact]
    public async Task Tls_ANodeWithAnotherCasCertificate_IsNotBelieved()
    {
        using var certificates = new CertificateFiles();
        using var impostorTls = certificates.Stranger("b");
        using var gatewayTls = certificates.Member("gateway");
        await using var node = await PushNode.StartAsync("b", impostorTls.SslServerOptions());
        using var receiver = node.Receiver();

        var problem = await receiver.OpenAsync(gatewayTls.SslClientOptions(), CancellationToken.None);

        Assert.NotNull(problem);
        Assert.StartsWith("TLS failed", problem, StringComparison.Ordinal);
    }

    private static int FreeLoopbackPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }
}

/// <summary>
/// Pushes must not wait behind request work. With every thread-pool worker blocked and a work item queued behind the
/// blockers, a pushed change still reaches the gateway's observer, before that work item runs. Alone, after the parallel
/// tests: it holds the process's thread pool.
/// </summary>
[Collection(ThreadPoolStarvationGroup.Name)]
public sealed class StatusPushStarvationTests
{
    [Fact]
    public async Task APush_ReachesTheObserver_WhileEveryThreadPoolWorkerIsBusy_AheadOfWorkQueuedBeforeIt()
    {
        await using var node = await PushNode.StartAsync("b");
        var observer = new RecordingObserver();
        using var receiver = await node.ConnectAsync(observer);

        // Not an event that could be disposed: blockers the pool starts after the test still wait on it, and return.
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var probeRan = false;
        try
        {
            // Far more blockers than the pool can add threads for while the test runs (it adds a few per second).
            for (var i = 0; i < 500; i++)
            {
                ThreadPool.UnsafeQueueUserWorkItem(_ => release.Task.Wait(), null);
            }

            ThreadPool.UnsafeQueueUserWorkItem(_ => Volatile.Write(ref probeRan, true), null);

            // From this (the test's) thread: the node's push path is the connection's own writer thread.
            node.Push(node.Delta(0, 1));
            var got = observer.Next(TimeSpan.FromSeconds(30));

            Assert.Equal(1, got.Delta.ToVersion);
            Assert.False(Volatile.Read(ref probeRan), "the thread pool ran work queued before the push: it was not busy, so this proves nothing");
            Assert.False(got.OnThreadPool);
        }
        finally
        {
            release.SetResult();
        }
    }
}

[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ThreadPoolStarvationGroup
{
    public const string Name = "thread pool starvation";
}

/// <summary>A node's push side as the node runs it: its status table, subscriptions, push port and listener.</summary>
internal sealed class PushNode : IAsyncDisposable
{
    private readonly StatusPushListener _listener;

    private PushNode(string name, SslServerAuthenticationOptions? tls, int maxConnections)
    {
        Serializer = NewSerializer();
        Table = new NodeStatusTable(name, "127.0.0.1:1", [], TimeProvider.System);
        Subscriptions = new StatusSubscriptions(TimeProvider.System);
        Port = StatusPushPort.Bind(IPAddress.Loopback, 0, tls);
        _listener = new StatusPushListener(Port, Subscriptions, Table, Serializer, NullLogger<StatusPushListener>.Instance) { MaxConnections = maxConnections };
    }

    public Serializer Serializer { get; }

    public NodeStatusTable Table { get; }

    public StatusSubscriptions Subscriptions { get; }

    public StatusPushPort Port { get; }

    public static Serializer NewSerializer() =>
        new ServiceCollection().AddSerializer(s => s.AddAssembly(typeof(NodeDelta).Assembly)).BuildServiceProvider().GetRequiredService<Serializer>();

    public static async Task<PushNode> StartAsync(string name, SslServerAuthenticationOptions? tls = null, int maxConnections = StatusPushListener.DefaultMaxConnections)
    {
        var node = new PushNode(name, tls, maxConnections);
        await node._listener.StartAsync(CancellationToken.None);
        return node;
    }

    /// <summary>A gateway's receiver for this node, not yet open; by default it expects this node and this run.</summary>
    public StatusPushReceiver Receiver(IStatusObserver? observer = null, string? name = null, long? incarnation = null) =>
        new(name ?? Table.Node, incarnation ?? Table.Incarnation, Port.Endpoint, observer ?? new RecordingObserver(), Serializer);

    /// <summary>A gateway's receiver, open, once the node counts it among its subscribers.</summary>
    public async Task<StatusPushReceiver> ConnectAsync(IStatusObserver observer, SslClientAuthenticationOptions? tls = null)
    {
        var receiver = Receiver(observer);
        var problem = await receiver.OpenAsync(tls, CancellationToken.None);
        Assert.Null(problem);
        await Eventually.UntilAsync(() => Subscriptions.Count == 1, "the node to subscribe the push connection");
        return receiver;
    }

    public NodeDelta Delta(long from, long to, bool leaving = false) =>
        new(Table.Node, Table.Incarnation, from, to, DateTimeOffset.UtcNow, [], DateTimeOffset.UtcNow, leaving);

    /// <summary>What <c>NodeGrain.PushAsync</c> does with a delta.</summary>
    public void Push(NodeDelta delta)
    {
        foreach (var observer in Subscriptions.Live())
        {
            _ = observer.OnChangesAsync(delta);
        }
    }

    public Task LeaveAsync(NodeDelta delta) => Task.WhenAll(Subscriptions.Live().Select(o => o.OnLeavingAsync(delta)));

    public async ValueTask DisposeAsync()
    {
        await _listener.StopAsync(CancellationToken.None);
        _listener.Dispose();
        Port.Dispose();
    }
}

/// <summary>The gateway's observer, noting each delta with the thread that delivered it.</summary>
internal sealed class RecordingObserver : IStatusObserver
{
    private readonly BlockingCollection<Received> _received = [];

    public Task OnChangesAsync(NodeDelta delta)
    {
        _received.Add(new Received(delta, Leaving: false, Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name));
        return Task.CompletedTask;
    }

    public Task OnLeavingAsync(NodeDelta delta)
    {
        _received.Add(new Received(delta, Leaving: true, Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name));
        return Task.CompletedTask;
    }

    /// <summary>Waits on this thread, not the pool's: the starvation test blocks every pool worker.</summary>
    public Received Next(TimeSpan timeout) =>
        _received.TryTake(out var next, timeout) ? next : throw new TimeoutException($"No delta within {timeout}");

    public sealed record Received(NodeDelta Delta, bool Leaving, bool OnThreadPool, string? Thread);
}

/// <summary>A cluster CA and a stranger CA, their members' PEM files in a directory of their own, loaded as brummer loads them.</summary>
internal sealed class CertificateFiles : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;
    private readonly string _dir = Directory.CreateTempSubdirectory("brummer-push-tls-").FullName;
    private readonly ClusterCertificateAuthority _ca = ClusterCertificateAuthority.Create(Now.AddDays(-1));
    private readonly ClusterCertificateAuthority _otherCa = ClusterCertificateAuthority.Create(Now.AddDays(-1));

    public ClusterTls Member(string name) => Load(_ca, name, "ca");

    public ClusterTls Stranger(string name) => Load(_otherCa, name, "other-ca");

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private ClusterTls Load(ClusterCertificateAuthority authority, string name, string authorityName)
    {
        var prefix = Path.Combine(_dir, $"{authorityName}-{name}");
        using (var certificate = authority.Issue(name, ["127.0.0.1"], Now.AddMinutes(-5)))
        using (var key = certificate.GetECDsaPrivateKey()!)
        {
            File.WriteAllText(prefix + ".crt", certificate.ExportCertificatePem());
            File.WriteAllText(prefix + ".key", key.ExportPkcs8PrivateKeyPem());
        }

        File.WriteAllText(prefix + ".ca", authority.Certificate.ExportCertificatePem());
        return ClusterTls.Load(new ClusterTlsFiles(prefix + ".crt", prefix + ".key", prefix + ".ca"));
    }
}
