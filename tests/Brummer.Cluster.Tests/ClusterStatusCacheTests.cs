using System.Collections.Immutable;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;

namespace Brummer.Cluster.Tests;

/// <summary>The gateway's cache on its own: what each kind of message (snapshot, delta, heartbeat, control result, loss) does to it.</summary>
public sealed class ClusterStatusCacheTests
{
    private const string Node = "n1";
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);
    private static readonly ImmutableArray<ScriptInfo> Scripts =
        [new(Node, "web", "node web.js", "package.json (npm)"), new(Node, "build", "tsc", "package.json (npm)"), new(Node, "lint", "eslint", "package.json (npm)")];

    private readonly ManualTimeProvider _time = new(T0);

    private static ProcessInfo Process(string name, ProcessStatus status, long version, int? pid = 100) =>
        new(Node, name, status, pid, T0.AddSeconds(-30), null, null, 0, $"{name} says hi", null, version);

    private static NodeSnapshot Snapshot(long version, long incarnation, params ProcessInfo[] processes) =>
        new(Node, "127.0.0.1:11111", version, T0, Scripts, [.. processes], incarnation);

    private static NodeDelta Delta(long from, long to, long incarnation, params ProcessInfo[] processes) =>
        new(Node, incarnation, from, to, T0, [.. processes]);

    /// <summary>A cache holding node n1 at version 2, incarnation 1: web running (v1), build running (v2).</summary>
    private ClusterStatusCache CacheAtVersion2()
    {
        var cache = new ClusterStatusCache(_time);
        Assert.True(cache.Apply(Snapshot(2, 1, Process("web", ProcessStatus.Running, 1), Process("build", ProcessStatus.Running, 2))));
        return cache;
    }

    private static ProcessInfo Get(ClusterStatusCache cache, string name) =>
        cache.Current.Find(Node)!.Processes.Single(p => p.Name == name);

    [Fact]
    public void Apply_DeltasInOrder_MergesEachChange()
    {
        var cache = CacheAtVersion2();

        var first = cache.Apply(Delta(2, 3, 1, Process("web", ProcessStatus.Stopped, 3)));
        var afterFirst = cache.Current;
        var second = cache.Apply(Delta(3, 5, 1, Process("build", ProcessStatus.Succeeded, 4), Process("lint", ProcessStatus.Failed, 5)));

        Assert.Equal(DeltaOutcome.Applied, first);
        Assert.Equal(DeltaOutcome.Applied, second);
        Assert.NotSame(afterFirst, cache.Current);
        var node = cache.Current.Find(Node)!;
        Assert.Equal(5, node.Version);
        Assert.Equal(["build", "lint", "web"], node.Processes.Select(p => p.Name));
        Assert.Equal(ProcessStatus.Stopped, Get(cache, "web").Status);
        Assert.Equal(ProcessStatus.Succeeded, Get(cache, "build").Status);
        Assert.Equal(ProcessStatus.Failed, Get(cache, "lint").Status);
        Assert.Equal(3, cache.Current.Processes.Length);
        Assert.Equal(1, node.Counts["stopped"]);
    }

    [Fact]
    public void Apply_DeltaAfterAGap_ReturnsGapAndChangesNothing()
    {
        var cache = CacheAtVersion2();
        var before = cache.Current;

        // The node's push of 2..3 never arrived; this one starts at 3.
        var outcome = cache.Apply(Delta(3, 4, 1, Process("web", ProcessStatus.Stopped, 4)));

        Assert.Equal(DeltaOutcome.Gap, outcome);
        Assert.Same(before, cache.Current);
        Assert.Equal(2, cache.Current.Find(Node)!.Version);
        Assert.Equal(ProcessStatus.Running, Get(cache, "web").Status);
    }

    [Fact]
    public void Apply_DeltaOfANewRunOfTheNode_ReturnsGap()
    {
        var cache = CacheAtVersion2();
        var before = cache.Current;

        var outcome = cache.Apply(Delta(0, 1, 2, Process("web", ProcessStatus.Running, 1, pid: 200)));

        Assert.Equal(DeltaOutcome.Gap, outcome);
        Assert.Same(before, cache.Current);
    }

    [Fact]
    public void Apply_DeltaOfAnUnknownNode_ReturnsGap()
    {
        var cache = new ClusterStatusCache(_time);

        var outcome = cache.Apply(Delta(0, 1, 1, Process("web", ProcessStatus.Running, 1)));

        Assert.Equal(DeltaOutcome.Gap, outcome);
        Assert.Empty(cache.Current.Nodes);
    }

    [Fact]
    public void Apply_DuplicateOrStaleDelta_IsIgnored()
    {
        var cache = CacheAtVersion2();
        var delta = Delta(2, 3, 1, Process("web", ProcessStatus.Stopped, 3));
        Assert.Equal(DeltaOutcome.Applied, cache.Apply(delta));
        var applied = cache.Current;

        var duplicate = cache.Apply(delta);
        var late = cache.Apply(Delta(1, 2, 1, Process("web", ProcessStatus.Running, 2), Process("build", ProcessStatus.Running, 2)));

        Assert.Equal(DeltaOutcome.Stale, duplicate);
        Assert.Equal(DeltaOutcome.Stale, late);
        Assert.Same(applied, cache.Current);
        Assert.Equal(ProcessStatus.Stopped, Get(cache, "web").Status);
        Assert.Equal(3, cache.Current.Find(Node)!.Version);
    }

    [Fact]
    public void Apply_DeltaOverlappingWhatIsKnown_KeepsTheNewerViewOfEachProcess()
    {
        var cache = CacheAtVersion2();
        cache.Apply(new ProcessInfo(Node, "web", ProcessStatus.Stopped, 100, T0, T0, null, 0, null, null, 4)); // a control result at v4

        // The node's push 2..3 carries web at v3 (older than the control result) and build at v3 (newer).
        var outcome = cache.Apply(Delta(2, 3, 1, Process("web", ProcessStatus.Running, 3), Process("build", ProcessStatus.Failed, 3)));

        Assert.Equal(DeltaOutcome.Applied, outcome);
        Assert.Equal(ProcessStatus.Stopped, Get(cache, "web").Status);
        Assert.Equal(4, Get(cache, "web").Version);
        Assert.Equal(ProcessStatus.Failed, Get(cache, "build").Status);
    }

    [Fact]
    public void Apply_Heartbeat_RefreshesReceivedAtWithoutANewView()
    {
        var cache = CacheAtVersion2();
        var before = cache.Current;
        var node = before.Find(Node)!;
        Assert.Equal(T0, node.ReceivedAt);
        var later = _time.Advance(TimeSpan.FromSeconds(2));

        var outcome = cache.Apply(Delta(2, 2, 1));

        Assert.Equal(DeltaOutcome.Stale, outcome); // nothing to merge, and nothing to pull
        Assert.Same(before, cache.Current);
        Assert.Same(node, cache.Current.Find(Node));
        Assert.Equal(later, cache.Current.Find(Node)!.ReceivedAt);
    }

    [Fact]
    public void Apply_AppliedDelta_MovesReceivedAtForward()
    {
        var cache = CacheAtVersion2();
        var later = _time.Advance(TimeSpan.FromSeconds(5));

        cache.Apply(Delta(2, 3, 1, Process("web", ProcessStatus.Stopped, 3)));

        Assert.Equal(later, cache.Current.Find(Node)!.ReceivedAt);
    }

    [Fact]
    public void MarkLost_MarksNodeAndEveryProcessLost_KeepingLastKnownFields()
    {
        var cache = CacheAtVersion2();
        cache.Apply(Delta(2, 3, 1, new ProcessInfo(Node, "lint", ProcessStatus.Succeeded, 300, T0, T0.AddSeconds(1), 0, 2, "ok", null, 3)));
        var known = cache.Current.Find(Node)!.Processes;

        Assert.True(cache.MarkLost(Node));

        var node = cache.Current.Find(Node)!;
        Assert.True(node.IsLost);
        Assert.Equal("lost", node.StatusAt(_time.GetUtcNow()));
        Assert.Equal(3, node.Processes.Length);
        foreach (var process in node.Processes)
        {
            var before = known.Single(p => p.Name == process.Name);
            Assert.Equal(ProcessStatus.Lost, process.Status);
            Assert.Equal(before.Pid, process.Pid);
            Assert.Equal(before.StartedAt, process.StartedAt);
            Assert.Equal(before.ExitedAt, process.ExitedAt);
            Assert.Equal(before.ExitCode, process.ExitCode);
            Assert.Equal(before.Restarts, process.Restarts);
            Assert.Equal(before.LastLine, process.LastLine);
            Assert.Contains($"'{Node}'", process.Reason, StringComparison.Ordinal);
            Assert.Contains($"last known status: {before.Status.ToWireName()}", process.Reason, StringComparison.Ordinal);
        }

        Assert.All(cache.Current.Processes, p => Assert.Equal(ProcessStatus.Lost, p.Status));
        Assert.Equal(3, node.Counts["lost"]);
    }

    [Fact]
    public void MarkLost_UnknownOrAlreadyLostNode_ChangesNothing()
    {
        var cache = CacheAtVersion2();
        Assert.False(cache.MarkLost("nope"));
        Assert.True(cache.MarkLost(Node));
        var lost = cache.Current;

        Assert.False(cache.MarkLost(Node));

        Assert.Same(lost, cache.Current);
    }

    [Fact]
    public void AfterMarkLost_LateMessagesOfTheSameRun_AreIgnored()
    {
        var cache = CacheAtVersion2();
        cache.MarkLost(Node);
        var lost = cache.Current;

        var delta = cache.Apply(Delta(2, 3, 1, Process("web", ProcessStatus.Stopped, 3)));
        var snapshot = cache.Apply(Snapshot(9, 1, Process("web", ProcessStatus.Running, 9)));
        cache.Apply(Process("build", ProcessStatus.Stopped, 10)); // a control result that raced the loss

        Assert.Equal(DeltaOutcome.Stale, delta);
        Assert.False(snapshot);
        Assert.Same(lost, cache.Current);
        Assert.True(cache.Current.Find(Node)!.IsLost);
        Assert.All(cache.Current.Processes, p => Assert.Equal(ProcessStatus.Lost, p.Status));
    }

    [Fact]
    public void Snapshot_OfANewRunOfALostNode_ReplacesTheLostView()
    {
        var cache = CacheAtVersion2();
        cache.MarkLost(Node);

        var applied = cache.Apply(Snapshot(1, 2, Process("web", ProcessStatus.Running, 1, pid: 900)));

        Assert.True(applied);
        var node = cache.Current.Find(Node)!;
        Assert.False(node.IsLost);
        Assert.Equal("up", node.StatusAt(_time.GetUtcNow()));
        Assert.Equal(2, node.Incarnation);
        Assert.Equal(1, node.Version);
        var web = Assert.Single(node.Processes);
        Assert.Equal(ProcessStatus.Running, web.Status);
        Assert.Equal(900, web.Pid);
        Assert.Null(web.Reason);
        Assert.DoesNotContain(cache.Current.Processes, p => p.Status == ProcessStatus.Lost);

        // Its deltas merge from there on.
        Assert.Equal(DeltaOutcome.Applied, cache.Apply(Delta(1, 2, 2, Process("web", ProcessStatus.Stopped, 2, pid: 900))));
        Assert.Equal(ProcessStatus.Stopped, Get(cache, "web").Status);
    }

    [Fact]
    public void Snapshot_OfAnotherRun_ReplacesTheView_EvenIfItsClockIsBehind()
    {
        // Incarnations come from the node's clock: a node restarted on a machine whose clock is behind has a lower one.
        var cache = new ClusterStatusCache(_time);
        cache.Apply(Snapshot(1, 5, Process("web", ProcessStatus.Running, 1, pid: 500)));

        var applied = cache.Apply(Snapshot(7, 4, Process("web", ProcessStatus.Failed, 7, pid: 400)));

        Assert.True(applied);
        Assert.Equal(4, cache.Current.Find(Node)!.Incarnation);
        Assert.Equal(400, Get(cache, "web").Pid);
        Assert.Equal(DeltaOutcome.Gap, cache.Apply(Delta(0, 1, 5, Process("web", ProcessStatus.Running, 1, pid: 500))));
        Assert.Equal(400, Get(cache, "web").Pid);
    }

    [Fact]
    public void Snapshot_NotNewerThanTheView_IsIgnored()
    {
        var cache = CacheAtVersion2();
        cache.Apply(Delta(2, 3, 1, Process("web", ProcessStatus.Stopped, 3)));
        var current = cache.Current;

        Assert.False(cache.Apply(Snapshot(3, 1, Process("web", ProcessStatus.Running, 3))));
        Assert.False(cache.Apply(Snapshot(2, 1, Process("web", ProcessStatus.Running, 1))));

        Assert.Same(current, cache.Current);
        Assert.Equal(ProcessStatus.Stopped, Get(cache, "web").Status);
    }

    [Fact]
    public void Apply_ControlResult_NewerVersionWins_OlderIsIgnored()
    {
        var cache = CacheAtVersion2();

        cache.Apply(Process("web", ProcessStatus.Stopped, 7));
        var afterNewer = Get(cache, "web");
        cache.Apply(Process("web", ProcessStatus.Running, 6));

        Assert.Equal(ProcessStatus.Stopped, afterNewer.Status);
        Assert.Equal(ProcessStatus.Stopped, Get(cache, "web").Status);
        Assert.Equal(7, Get(cache, "web").Version);

        // A process that never appeared in a push yet (the first run) is added at once.
        cache.Apply(Process("lint", ProcessStatus.Running, 8));
        Assert.Equal(ProcessStatus.Running, Get(cache, "lint").Status);
    }

    [Fact]
    public void Apply_ControlResultOfAnUnknownNode_IsIgnored()
    {
        var cache = CacheAtVersion2();
        var current = cache.Current;

        cache.Apply(Process("web", ProcessStatus.Running, 9) with { Node = "elsewhere" });

        Assert.Same(current, cache.Current);
        Assert.Null(cache.Current.Find("elsewhere"));
    }

    [Fact]
    public void Leaving_MergesTheFinalStates_MarksTheNodeLeft_AndMembershipCannotMakeItLost()
    {
        var cache = CacheAtVersion2();

        var outcome = cache.Apply(Delta(2, 4, 1, Process("web", ProcessStatus.Stopped, 3), Process("build", ProcessStatus.Stopped, 4)) with { Leaving = true });

        Assert.Equal(DeltaOutcome.Applied, outcome);
        var node = cache.Current.Find(Node)!;
        Assert.True(node.HasLeft);
        Assert.Equal("left", node.StatusAt(_time.GetUtcNow()));
        Assert.Equal(ProcessStatus.Stopped, Get(cache, "web").Status);
        Assert.False(cache.MarkLost(Node), "a node that said goodbye is not lost when membership later drops it");
        Assert.Equal("left", cache.Current.Find(Node)!.StatusAt(_time.Advance(TimeSpan.FromMinutes(5))));
        Assert.All(cache.Current.Find(Node)!.Processes, p => Assert.Equal(ProcessStatus.Stopped, p.Status));
    }

    [Fact]
    public void Leaving_WithNothingNew_StillMarksTheNodeLeft()
    {
        var cache = CacheAtVersion2();

        cache.Apply(Delta(2, 2, 1) with { Leaving = true });

        Assert.True(cache.Current.Find(Node)!.HasLeft);
    }

    [Fact]
    public void LeftNode_RejoiningWithANewIncarnation_IsUpWithItsFreshState()
    {
        var cache = CacheAtVersion2();
        cache.Apply(Delta(2, 2, 1) with { Leaving = true });

        Assert.True(cache.Apply(Snapshot(1, 2, Process("lint", ProcessStatus.Running, 1))));

        var node = cache.Current.Find(Node)!;
        Assert.False(node.HasLeft);
        Assert.Equal("up", node.StatusAt(_time.GetUtcNow()));
        Assert.Equal(["lint"], node.Processes.Select(p => p.Name));
    }

    [Fact]
    public void SilentNode_IsUnresponsiveAfterThreeMissedHeartbeats_AndUpAgainWhenHeard()
    {
        var cache = CacheAtVersion2();
        var node = cache.Current.Find(Node)!;

        Assert.Equal("up", node.StatusAt(_time.Advance(StatusSubscription.Heartbeat * 3)));
        Assert.Equal("unresponsive", node.StatusAt(_time.Advance(TimeSpan.FromSeconds(1))));
        Assert.False(node.IsReachable(_time.GetUtcNow()));

        cache.Apply(Delta(2, 2, 1)); // a heartbeat
        Assert.Equal("up", cache.Current.Find(Node)!.StatusAt(_time.GetUtcNow()));
    }

    [Fact]
    public void ClockOffset_IsTheSmallestReceiveMinusSendSeen_AndConvertsDeadlinesToTheNodesClock()
    {
        var cache = CacheAtVersion2();
        var nodeClockBehind = TimeSpan.FromMinutes(3); // the node's clock reads 3 minutes earlier than the gateway's

        cache.Apply(Delta(2, 2, 1) with { SentAt = _time.GetUtcNow() - nodeClockBehind - TimeSpan.FromMilliseconds(40) });
        _time.Advance(TimeSpan.FromSeconds(2));
        cache.Apply(Delta(2, 2, 1) with { SentAt = _time.GetUtcNow() - nodeClockBehind - TimeSpan.FromMilliseconds(5) });
        _time.Advance(TimeSpan.FromSeconds(2));
        cache.Apply(Delta(2, 2, 1) with { SentAt = _time.GetUtcNow() - nodeClockBehind - TimeSpan.FromMilliseconds(900) }); // a slow delivery

        var clock = cache.Current.Find(Node)!.Clock;
        Assert.InRange(clock.Offset, nodeClockBehind + TimeSpan.FromMilliseconds(5), nodeClockBehind + TimeSpan.FromMilliseconds(15));
        var deadline = _time.GetUtcNow().AddSeconds(10);
        Assert.InRange(clock.ToNodeTime(deadline), deadline - nodeClockBehind - TimeSpan.FromMilliseconds(15), deadline - nodeClockBehind - TimeSpan.FromMilliseconds(5));
    }
}
