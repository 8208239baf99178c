using System.Collections.Immutable;
using System.Threading.RateLimiting;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using Brummer.Gateway.Status;
using Brummer.Gateway.Traffic;
using Brummer.Gateway.Waiting;
using Brummer.Grains.Abstractions;
using Brummer.Tests;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting.Internal;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Tests;

/// <summary>
/// Waits against the gateway's real status cache, fed the way nodes feed it (a snapshot, then deltas) with process
/// states nothing produces yet on this branch (pending, health starting/ready, restarting, waiting_for): each answer
/// comes from the change that made the condition hold, fail or become impossible.
/// </summary>
public sealed class WaitServiceTests
{
    private const string Node = "a";
    private const long Incarnation = 1;

    /// <summary>Bounds a wait that must answer at once (a wrong implementation would wait out a much longer timeout).</summary>
    private static readonly TimeSpan Promptly = TimeSpan.FromSeconds(20);

    private static readonly ImmutableArray<ScriptInfo> Scripts = [new(Node, "api", "node api.js", "brummer.yaml"), new(Node, "db", "db", "brummer.yaml")];

    private readonly ClusterStatusCache _cache = new(TimeProvider.System);
    private readonly HttpContextAccessor _http = new();
    private readonly ApplicationLifetime _lifetime = new(NullLogger<ApplicationLifetime>.Instance);
    private readonly WaitService _waits;
    private long _version;

    public WaitServiceTests()
    {
        _waits = new WaitService(_cache, new ClusterTargets(_cache, Options.Create(new GatewayOptions()), TimeProvider.System), _http, _lifetime, TimeProvider.System);
        Assert.True(_cache.Apply(new NodeSnapshot(Node, "127.0.0.1:11111", 0, DateTimeOffset.UtcNow, Scripts, [], Incarnation)));
    }

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>Pushes one change of a process, as the node's next delta.</summary>
    private ProcessInfo Publish(
        ProcessStatus status,
        ProcessHealth health = ProcessHealth.None,
        string name = "api",
        int? exitCode = null,
        string? reason = null,
        string? waitingFor = null,
        DateTimeOffset? nextRestartAt = null)
    {
        var version = ++_version;
        var now = DateTimeOffset.UtcNow;
        var process = new ProcessInfo(
            Node, name, status, status.IsActive() ? 4242 : null, now, status.IsActive() ? null : now, exitCode, 0, $"{name} line {version}", reason, version,
            Health: health, WaitingFor: waitingFor, NextRestartAt: nextRestartAt);
        Assert.Equal(DeltaOutcome.Applied, _cache.Apply(new NodeDelta(Node, Incarnation, version - 1, version, now, [process], now)));
        return process;
    }

    private Task<WaitResult> WaitAsync(WaitCondition condition, int seconds = 60, string name = "api", CancellationToken? cancellationToken = null) =>
        _waits.WaitAsync(name, Node, condition, TimeSpan.FromSeconds(seconds), cancellationToken ?? Ct);

    [Fact]
    public void WhenChanged_CompletesOnEveryPublishedView_NotOnAHeartbeat()
    {
        var first = _cache.WhenChanged();
        Assert.Same(first, _cache.WhenChanged());

        var heartbeat = _cache.Apply(new NodeDelta(Node, Incarnation, 0, 0, DateTimeOffset.UtcNow, [], DateTimeOffset.UtcNow));
        Assert.Equal(DeltaOutcome.Stale, heartbeat);
        Assert.False(first.IsCompleted, "a heartbeat publishes no view and wakes nobody");

        Publish(ProcessStatus.Running);
        Assert.True(first.IsCompleted);
        var second = _cache.WhenChanged();
        Assert.False(second.IsCompleted);

        Assert.True(_cache.MarkLost(Node));
        Assert.True(second.IsCompleted, "a node declared lost wakes its waiters");
    }

    [Fact]
    public async Task Wait_ReadyThroughPendingProbeAndBackoff_AnswersWithTheReadyView()
    {
        var waiting = WaitAsync(WaitCondition.Ready);

        Publish(ProcessStatus.Pending, waitingFor: "db (process_healthy)");
        Publish(ProcessStatus.Starting);
        Publish(ProcessStatus.Running, ProcessHealth.Starting);
        Publish(ProcessStatus.Restarting, exitCode: 1, nextRestartAt: DateTimeOffset.UtcNow.AddSeconds(1));
        Publish(ProcessStatus.Running, ProcessHealth.Unhealthy);
        var ready = Publish(ProcessStatus.Running, ProcessHealth.Ready);
        var result = await waiting.WaitAsync(Promptly, Ct);

        Assert.Equal("running", result.Process.Status);
        Assert.Equal("ready", result.Process.Health);
        Assert.Equal(ready.LastLine, result.Process.LastLine);
        Assert.Equal("ready", result.Condition);
        Assert.Equal(0, _waits.Waiting);
    }

    [Fact]
    public async Task Wait_AlreadyHolds_AnswersAtOnceWithNoWait()
    {
        Publish(ProcessStatus.Running);

        var result = await WaitAsync(WaitCondition.Ready, seconds: 0);

        Assert.Equal("running", result.Process.Status);
        Assert.Equal("none", result.Process.Health);
    }

    [Fact]
    public async Task Wait_FailsForGoodWhileWaitingForReady_AnswersAtOnceSayingWhy()
    {
        Publish(ProcessStatus.Running, ProcessHealth.Starting);
        var waiting = WaitAsync(WaitCondition.Ready, seconds: 600);

        Publish(ProcessStatus.Failed, exitCode: 1, reason: "gave up after 3 restarts: exit code 1");
        var error = await Assert.ThrowsAsync<GatewayException>(() => waiting.WaitAsync(Promptly, Ct));

        Assert.Equal(GatewayErrorKind.Conflict, error.Kind);
        Assert.Equal("'api' on node 'a' failed (exit code 1): gave up after 3 restarts: exit code 1; it will not be ready unless it is run again.", error.Message);
    }

    [Fact]
    public async Task Wait_SucceededWhileWaitingForFailed_AnswersAtOnce_WhileStoppedKeepsWaiting()
    {
        var succeeded = WaitAsync(WaitCondition.Failed, seconds: 600, name: "db");
        Publish(ProcessStatus.Stopped, name: "db", exitCode: 143);
        Publish(ProcessStatus.Running, name: "db");
        Assert.False(succeeded.IsCompleted, "stopped (a restart's first half) and running are not ends for 'failed'");
        Publish(ProcessStatus.Succeeded, name: "db", exitCode: 0);

        var error = await Assert.ThrowsAsync<GatewayException>(() => succeeded.WaitAsync(Promptly, Ct));
        Assert.Equal(GatewayErrorKind.Conflict, error.Kind);
        Assert.Equal("'db' on node 'a' succeeded (exit code 0); it will not fail unless it is run again.", error.Message);
    }

    [Fact]
    public async Task Wait_Timeout_SaysStatusHealthAndWhatTheProcessWaitsFor()
    {
        Publish(ProcessStatus.Pending, waitingFor: "b/db (process_healthy)");

        var error = await Assert.ThrowsAsync<GatewayException>(() => WaitAsync(WaitCondition.Ready, seconds: 1));

        Assert.Equal(GatewayErrorKind.Timeout, error.Kind);
        Assert.Equal("'api' on node 'a' is not ready after 1 s: status pending, health none, waiting_for: b/db (process_healthy), last line: api line 1.", error.Message);
        Assert.Equal(0, _waits.Waiting);
    }

    [Fact]
    public async Task Wait_ProcessThatNeverRan_IsNotExited_AndTheTimeoutSaysSo()
    {
        var error = await Assert.ThrowsAsync<GatewayException>(() => WaitAsync(WaitCondition.Exited, seconds: 0));

        Assert.Equal(GatewayErrorKind.Timeout, error.Kind);
        Assert.Equal("'api' on node 'a' has not exited after 0 s: it has not run yet.", error.Message);
    }

    [Fact]
    public async Task Wait_NodeLostWhileWaiting_AnswersAtOnce()
    {
        Publish(ProcessStatus.Running, ProcessHealth.Starting);
        var waiting = WaitAsync(WaitCondition.Ready, seconds: 600);

        Assert.True(_cache.MarkLost(Node));
        var error = await Assert.ThrowsAsync<GatewayException>(() => waiting.WaitAsync(Promptly, Ct));

        Assert.Equal(GatewayErrorKind.Unavailable, error.Kind);
        Assert.StartsWith("Node 'a' is lost (the cluster declared it dead), so 'api' on node 'a' cannot be ready until the node rejoins; status lost", error.Message, StringComparison.Ordinal);
        Assert.Contains("last known status: running", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Wait_UnknownScriptOrNode_IsRefusedBeforeWaiting()
    {
        var script = await Assert.ThrowsAsync<GatewayException>(() => WaitAsync(WaitCondition.Ready, name: "web"));
        var node = await Assert.ThrowsAsync<GatewayException>(() => _waits.WaitAsync("api", "b", WaitCondition.Ready, TimeSpan.FromSeconds(60), Ct));

        Assert.Equal("Unknown script 'web' on node 'a'. Scripts: api, db.", script.Message);
        Assert.Equal("Unknown node 'b'. Nodes: a.", node.Message);
        Assert.Equal(0, _waits.Waiting);
    }

    [Fact]
    public async Task Wait_ManyWaiters_AreAllAnsweredByTheOneChange_AndChangesElsewhereAnswerNone()
    {
        const int Waiters = 1_000;
        var waiting = Enumerable.Range(0, Waiters).Select(_ => WaitAsync(WaitCondition.Ready)).ToList();
        await Eventually.UntilAsync(() => _waits.Waiting == Waiters, $"{Waiters} waits to be parked");

        for (var i = 0; i < 50; i++)
        {
            Publish(i % 2 == 0 ? ProcessStatus.Running : ProcessStatus.Stopped, name: "db");
        }

        Publish(ProcessStatus.Running, ProcessHealth.Starting);
        Assert.Equal(Waiters, _waits.Waiting);
        Assert.All(waiting, w => Assert.False(w.IsCompleted));
        Publish(ProcessStatus.Running, ProcessHealth.Ready);
        var results = await Task.WhenAll(waiting).WaitAsync(Promptly, Ct);

        Assert.All(results, r => Assert.Equal("ready", r.Process.Health));
        Assert.Equal(0, _waits.Waiting);
    }

    [Fact]
    public async Task Wait_CallerGoesAway_EndsTheWait()
    {
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        var waiting = WaitAsync(WaitCondition.Ready, seconds: 600, cancellationToken: caller.Token);
        await Eventually.UntilAsync(() => _waits.Waiting == 1, "the wait to be parked");

        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting.WaitAsync(Promptly, Ct));
        Assert.Equal(0, _waits.Waiting);
    }

    [Fact]
    public async Task Wait_GatewayStopping_EndsEveryWaitAtOnce()
    {
        Publish(ProcessStatus.Running, ProcessHealth.Starting);
        var waiting = WaitAsync(WaitCondition.Ready, seconds: 600);
        await Eventually.UntilAsync(() => _waits.Waiting == 1, "the wait to be parked");

        _lifetime.StopApplication();

        var error = await Assert.ThrowsAsync<GatewayException>(() => waiting.WaitAsync(Promptly, Ct));
        Assert.Equal(GatewayErrorKind.Unavailable, error.Kind);
        Assert.Equal("The gateway is stopping: 'api' on node 'a' is not ready and is no longer waited for.", error.Message);
        Assert.Equal(0, _waits.Waiting);
    }

    [Fact]
    public async Task AfterRun_GivesTheControlPermitBack_BeforeWaitingForReady()
    {
        using var control = new ConcurrencyLimiter(new ConcurrencyLimiterOptions { PermitLimit = 1, QueueLimit = 0 });
        using var permit = new LanePermit(control.AttemptAcquire());
        var context = new DefaultHttpContext();
        context.Features.Set(permit);
        _http.HttpContext = context;
        var started = Publish(ProcessStatus.Running, ProcessHealth.Starting);
        Assert.False(control.AttemptAcquire().IsAcquired, "the run holds the lane's only permit");

        var waiting = _waits.AfterRunAsync(new RunScriptResult(started.ToDto(), AlreadyRunning: false), WaitCondition.Ready, TimeSpan.FromSeconds(60), Ct);

        using (var next = control.AttemptAcquire())
        {
            Assert.True(next.IsAcquired, "another control call gets the permit while the run waits");
        }

        Assert.False(waiting.IsCompleted);
        Publish(ProcessStatus.Running, ProcessHealth.Ready);
        var result = await waiting.WaitAsync(Promptly, Ct);
        Assert.Equal("ready", result.Process.Health);
        Assert.False(result.AlreadyRunning);
    }

    [Fact]
    public async Task AfterRun_ProcessFailsFirst_SaysItWasStartedAndWhyItWillNotBeReady()
    {
        var started = Publish(ProcessStatus.Running);
        Publish(ProcessStatus.Failed, exitCode: 3);

        var error = await Assert.ThrowsAsync<GatewayException>(() =>
            _waits.AfterRunAsync(new RunScriptResult(started.ToDto(), AlreadyRunning: false), WaitCondition.Running, TimeSpan.FromSeconds(60), Ct).WaitAsync(Promptly, Ct));

        Assert.Equal("'api' on node 'a' was started (pid 4242) but failed (exit code 3), last line: api line 2; it will not be running unless it is run again.", error.Message);
    }

    [Theory]
    [InlineData(null, 30)]
    [InlineData(0, 0)]
    [InlineData(600, 600)]
    public void WaitTimeout_DefaultAndBounds(int? seconds, int expected)
    {
        Assert.Equal(TimeSpan.FromSeconds(expected), Arguments.WaitTimeout(seconds, "timeout_seconds"));
    }

    [Theory]
    [InlineData(601)]
    [InlineData(-1)]
    public void WaitTimeout_OutOfRange_IsAClearError(int seconds)
    {
        var error = Assert.Throws<GatewayException>(() => Arguments.WaitTimeout(seconds, "timeout_seconds"));

        Assert.Equal($"'timeout_seconds' must be between 0 and 600 seconds (default 30); got {seconds}. To wait longer, wait again.", error.Message);
    }

    [Fact]
    public void RunTimeout_WithoutWait_IsAClearError()
    {
        var error = Assert.Throws<GatewayException>(() => WaitService.RunTimeout(wait: null, 10, "timeout"));

        Assert.Equal("'timeout' applies only with 'wait' (ready or running): it bounds the wait after the start.", error.Message);
        Assert.Null(WaitService.RunTimeout(wait: null, seconds: null, "timeout"));
        Assert.Equal(TimeSpan.FromSeconds(30), WaitService.RunTimeout(WaitCondition.Ready, seconds: null, "timeout"));
    }

    [Fact]
    public void Lanes_WaitForHasItsOwnLane()
    {
        Assert.Equal(RequestLane.Waits, RequestLanes.OfTool("wait_for"));
        Assert.Equal(RequestLane.Control, RequestLanes.OfTool("scripts_run"));
    }
}
