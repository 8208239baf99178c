using System.Collections.Immutable;
using Brummer.Gateway;
using Brummer.Gateway.Services;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;

namespace Brummer.Cluster.Tests;

/// <summary>Narrowed status answers (status, changed_since) over the gateway's real cache, as pushes change it.</summary>
public sealed class StatusQueryTests
{
    private const string Node = "n1";
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly ImmutableArray<ScriptInfo> Scripts =
        [new(Node, "web", "node web.js", "brummer.yaml"), new(Node, "api", "dotnet api.dll", "brummer.yaml"), new(Node, "build", "tsc", "brummer.yaml")];

    private readonly ManualTimeProvider _time = new(T0);

    private static ProcessInfo Process(string name, ProcessStatus status, long version) =>
        new(Node, name, status, 100, T0, null, null, 0, null, null, version);

    private ClusterStatusCache Cache()
    {
        var cache = new ClusterStatusCache(_time);
        cache.Apply(new NodeSnapshot(Node, "127.0.0.1:11111", 3, T0, Scripts,
            [Process("web", ProcessStatus.Running, 1), Process("api", ProcessStatus.Failed, 2), Process("build", ProcessStatus.Succeeded, 3)], Incarnation: 1));
        return cache;
    }

    private StatusResultView Ask(ClusterStatusCache cache, string? status = null, string? changedSince = null, string? name = null)
    {
        var result = ScriptsService.Status(cache.Current, _time.GetUtcNow(), StatusQuery.Parse(name, node: null, status, changedSince));
        return new StatusResultView([.. result.Processes.Select(p => p.Name).Order(StringComparer.Ordinal)], result.Cursor);
    }

    private sealed record StatusResultView(ImmutableArray<string> Names, string Cursor);

    [Theory]
    [InlineData("failed", new[] { "api" })]
    [InlineData("failed,succeeded", new[] { "api", "build" })]
    [InlineData(" Failed , RUNNING ", new[] { "api", "web" })]
    [InlineData("!running", new[] { "api", "build" })]
    [InlineData("!running,failed", new[] { "build" })]
    [InlineData("pending", new string[0])]
    public void Status_KeepsOnlyTheNamedStatuses(string status, string[] expected)
    {
        Assert.Equal(expected, Ask(Cache(), status).Names);
    }

    [Fact]
    public void ChangedSince_ReturnsOnlyWhatChangedAfterTheCursor_ThenNothing()
    {
        var cache = Cache();
        var first = Ask(cache);

        cache.Apply(new NodeDelta(Node, 1, 3, 4, T0, [Process("web", ProcessStatus.Stopped, 4)]));
        var changed = Ask(cache, changedSince: first.Cursor);
        var again = Ask(cache, changedSince: changed.Cursor);

        Assert.Equal(["api", "build", "web"], first.Names);
        Assert.Equal(["web"], changed.Names);
        Assert.Empty(again.Names);
    }

    [Fact]
    public void ChangedSince_NodeLostOrRestarted_ReturnsAllOfItsProcesses()
    {
        var cache = Cache();
        var before = Ask(cache).Cursor;

        cache.MarkLost(Node);
        var lost = Ask(cache, changedSince: before);
        var afterLoss = Ask(cache).Cursor;
        cache.Apply(new NodeSnapshot(Node, "127.0.0.1:11111", 1, T0, Scripts, [Process("web", ProcessStatus.Running, 1)], Incarnation: 2));
        var rejoined = Ask(cache, changedSince: afterLoss);

        Assert.Equal(["api", "build", "web"], lost.Names); // each now 'lost', at the version it had
        Assert.Equal(["web"], rejoined.Names);
    }

    [Fact]
    public void ChangedSince_CombinesWithStatus()
    {
        var cache = Cache();
        var before = Ask(cache).Cursor;

        cache.Apply(new NodeDelta(Node, 1, 3, 5, T0, [Process("web", ProcessStatus.Failed, 4), Process("build", ProcessStatus.Running, 5)]));

        Assert.Equal(["web"], Ask(cache, status: "failed", changedSince: before).Names);
    }

    [Theory]
    [InlineData("healthy", null, "'status' takes process statuses separated by commas (starting, running, stopping, stopped, succeeded, failed, lost, pending, restarting), or '!' before them for every other one (e.g. !running); got 'healthy'.")]
    [InlineData(null, "not-a-cursor", "'changed_since' must be the 'cursor' of an earlier status answer, as it was given; got 'not-a-cursor'.")]
    [InlineData(null, "Mgo", "'changed_since' must be the 'cursor' of an earlier status answer")]
    public void BadArguments_AreClearErrors(string? status, string? changedSince, string message)
    {
        var error = Assert.Throws<GatewayException>(() => StatusQuery.Parse(null, null, status, changedSince));

        Assert.Equal(GatewayErrorKind.BadRequest, error.Kind);
        Assert.StartsWith(message, error.Message, StringComparison.Ordinal);
    }
}
