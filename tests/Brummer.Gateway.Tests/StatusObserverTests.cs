using System.Collections.Immutable;
using System.Diagnostics.Metrics;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;
using Brummer.Tests;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;

namespace Brummer.Gateway.Tests;

/// <summary>Pushed deltas that overtake each other on the way are merged in order, without a pull.</summary>
public sealed class StatusObserverTests : IDisposable
{
    private const string Node = "n1";
    private static readonly ImmutableArray<ScriptInfo> Scripts = [new(Node, "web", "node web.js", "test"), new(Node, "build", "tsc", "test")];

    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 29, 12, 0, 0, TimeSpan.Zero));
    private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
    private readonly ClusterStatusCache _cache;
    private readonly StatusObserver _observer;
    private int _pulls;

    public StatusObserverTests()
    {
        _cache = new ClusterStatusCache(_time);
        var metrics = new GatewayMetrics(_services.GetRequiredService<IMeterFactory>(), _cache, _time);
        _observer = new StatusObserver(_cache, metrics, _time, _ => Interlocked.Increment(ref _pulls), _ => { });
        Assert.True(_cache.Apply(new NodeSnapshot(Node, "127.0.0.1:1", 2, _time.GetUtcNow(), Scripts, [Process("web", 1), Process("build", 2)], Incarnation: 1)));
    }

    public void Dispose() => _services.Dispose();

    private static ProcessInfo Process(string name, long version, ProcessStatus status = ProcessStatus.Running) =>
        new(Node, name, status, 100, null, null, null, 0, null, null, version);

    private static NodeDelta Delta(long from, long to, params ProcessInfo[] processes) => new(Node, 1, from, to, DateTimeOffset.UnixEpoch, [.. processes]);

    [Fact]
    public async Task Delta_ArrivingBeforeItsPredecessor_IsMergedWhenThePredecessorLands_WithoutAPull()
    {
        await _observer.OnChangesAsync(Delta(3, 4, Process("build", 4, ProcessStatus.Stopped)));
        Assert.Equal(2, _cache.Current.Find(Node)!.Version);

        await _observer.OnChangesAsync(Delta(2, 3, Process("web", 3, ProcessStatus.Stopped)));

        await Eventually.UntilAsync(() => _cache.Current.Find(Node)!.Version == 4, "the held delta to be merged");
        Assert.All(_cache.Current.Find(Node)!.Processes, p => Assert.Equal(ProcessStatus.Stopped, p.Status));
        Assert.Equal(0, Volatile.Read(ref _pulls));
    }

    [Fact]
    public async Task Delta_WhosePredecessorNeverComes_IsPulledAfterTheGrace()
    {
        await _observer.OnChangesAsync(Delta(3, 4, Process("build", 4, ProcessStatus.Stopped)));
        Assert.Equal(0, Volatile.Read(ref _pulls));

        _time.Advance(StatusObserver.ReorderGrace);

        await Eventually.UntilAsync(() => Volatile.Read(ref _pulls) == 1, "a pull once the grace is over");
    }

    [Fact]
    public async Task Delta_OfARunTheGatewayHasNeverSeen_IsPulledAtOnce()
    {
        await _observer.OnChangesAsync(new NodeDelta(Node, 2, 0, 1, DateTimeOffset.UnixEpoch, [Process("web", 1)]));

        Assert.Equal(1, Volatile.Read(ref _pulls));
    }
}
