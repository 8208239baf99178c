using Brummer.Grains.Abstractions;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

/// <summary>A control request that reaches the supervisor too late, or waits past its deadline, is refused and never acts.</summary>
public sealed class ControlDeadlineTests
{
    [Fact]
    public async Task Start_DeadlineAlreadyPast_IsRefusedAndStartsNothing()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["web"] = ["say:up", "sleep"] });

        var refused = await Assert.ThrowsAsync<TimeoutException>(() =>
            node["web"].StartAsync(new ControlDeadline(DateTimeOffset.UtcNow.AddSeconds(-3)), TestContext.Current.CancellationToken));

        Assert.Contains("after its deadline and was not carried out", refused.Message, StringComparison.Ordinal);
        Assert.Null(node.Table.Get("web"));
        Assert.False(node["web"].IsActive);
    }

    [Fact]
    public async Task Start_QueuedBehindASlowStopPastItsDeadline_IsRefused_TheStopStands()
    {
        // A tree that ignores SIGTERM makes the stop take the whole stop timeout (1 s); a run asked meanwhile with half
        // a second to start must give up, not start the script once the stop is done.
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["stubborn"] = ["ignore-sigterm", "say:up", "sleep"] });
        await node["stubborn"].StartAsync(TestContext.Current.CancellationToken);
        await SaidUpAsync(node);

        var stopping = node["stubborn"].StopAsync(TestContext.Current.CancellationToken);
        await node.WaitForAsync("stubborn", p => p.Status == ProcessStatus.Stopping, "stopping");
        var late = node["stubborn"].StartAsync(new ControlDeadline(DateTimeOffset.UtcNow.AddMilliseconds(500)), TestContext.Current.CancellationToken);

        await Assert.ThrowsAsync<TimeoutException>(() => late);
        var stopped = await stopping;
        Assert.Equal(ProcessStatus.Stopped, stopped!.Status);
        Assert.Equal(ProcessStatus.Stopped, node.Table.Get("stubborn")!.Status);
        Assert.False(node["stubborn"].IsActive, "nothing started after the stop");
    }

    [Fact]
    public async Task Start_CancelledWhileQueued_IsDroppedWithoutActing()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["stubborn"] = ["ignore-sigterm", "say:up", "sleep"] });
        await node["stubborn"].StartAsync(TestContext.Current.CancellationToken);
        await SaidUpAsync(node);
        var stopping = node["stubborn"].StopAsync(TestContext.Current.CancellationToken);
        await node.WaitForAsync("stubborn", p => p.Status == ProcessStatus.Stopping, "stopping");
        using var caller = new CancellationTokenSource();

        var queued = node["stubborn"].StartAsync(ControlDeadline.None, caller.Token);
        await caller.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => queued);
        await stopping;
        Assert.False(node["stubborn"].IsActive);
    }

    /// <summary>The dummy prints once its SIGTERM handler is in place; a SIGTERM before that would just end it.</summary>
    private static Task SaidUpAsync(SupervisorHarness node) =>
        Eventually.UntilAsync(() => node["stubborn"].Output.Log.Tail().Any(l => l.Text == "up"), "stubborn to say it is up");

    [Fact]
    public async Task Start_InTime_Runs()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["web"] = ["say:up", "sleep"] });

        var result = await node["web"].StartAsync(new ControlDeadline(DateTimeOffset.UtcNow.AddSeconds(30)), TestContext.Current.CancellationToken);

        Assert.Equal(ProcessStatus.Running, result.Process.Status);
    }
}
