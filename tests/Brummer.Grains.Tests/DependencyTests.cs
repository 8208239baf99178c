using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

/// <summary><c>depends_on</c> on one node: order, pending with what it waits for, and stops that reach waiting processes.</summary>
public sealed class DependencyTests
{
    private static Func<ScriptDefinition, ScriptDefinition> DependsOn(string name, DependencyCondition condition, string? node = null) =>
        d => d with { DependsOn = [.. d.DependsOn, new DependencyDefinition(node, name, condition)] };

    [Fact]
    public async Task Run_StartsItsDependencyFirst_ThenStartsOnceItHolds()
    {
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["db"] = ["say:db up", "sleep"], ["api"] = ["say:api up", "sleep"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>> { ["api"] = DependsOn("db", DependencyCondition.ProcessHealthy) });

        await node.Processes.RunAsync("api", ControlDeadline.None, TestContext.Current.CancellationToken);

        var api = await node.WaitForAsync("api", p => p.Status == ProcessStatus.Running, "running");
        var db = node.Table.Get("db")!;
        Assert.Equal(ProcessStatus.Running, db.Status);
        Assert.True(api.StartedAt >= db.StartedAt, $"api started {api.StartedAt:O}, before db {db.StartedAt:O}");
        Assert.Null(api.WaitingFor);
    }

    [Fact]
    public async Task CompletedSuccessfully_WaitsForTheOneShotToExitZero()
    {
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["migrate"] = ["say:migrating", "exit:0"], ["api"] = ["say:api up", "sleep"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>> { ["api"] = DependsOn("migrate", DependencyCondition.ProcessCompletedSuccessfully) });

        await node.Processes.RunAsync("api", ControlDeadline.None, TestContext.Current.CancellationToken);

        var api = await node.WaitForAsync("api", p => p.Status == ProcessStatus.Running, "running");
        var migrate = node.Table.Get("migrate")!;
        Assert.Equal(ProcessStatus.Succeeded, migrate.Status);
        Assert.True(api.StartedAt >= migrate.ExitedAt, $"api started {api.StartedAt:O}, before migrate exited {migrate.ExitedAt:O}");
    }

    [Fact]
    public async Task FailedDependency_LeavesTheDependentPending_SayingWhy()
    {
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["migrate"] = ["err:no database", "exit:3"], ["api"] = ["sleep"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>> { ["api"] = DependsOn("migrate", DependencyCondition.ProcessCompletedSuccessfully) });

        var run = await node.Processes.RunAsync("api", ControlDeadline.None, TestContext.Current.CancellationToken);

        Assert.Equal(ProcessStatus.Pending, run.Process.Status);
        var api = await node.WaitForAsync("api", p => p.WaitingFor?.Contains("failed (exit 3)", StringComparison.Ordinal) == true, "waiting on a failed migrate");
        Assert.Equal(ProcessStatus.Pending, api.Status);
        Assert.Equal("migrate (process_completed_successfully): failed (exit 3)", api.WaitingFor);
        Assert.Null(api.Pid);
    }

    [Fact]
    public async Task Stop_WhilePending_EndsTheWait_AndNothingStartsLater()
    {
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["gate"] = ["say:open", "sleep"], ["api"] = ["say:api up", "sleep"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>> { ["api"] = DependsOn("gate", DependencyCondition.ProcessStarted) });

        // Started directly (not through the node), so its dependency is not started for it: it waits.
        var pending = await node["api"].StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(ProcessStatus.Pending, pending.Process.Status);
        Assert.Equal("gate (process_started): not started", pending.Process.WaitingFor);
        Assert.True(node["api"].IsActive);

        var stopped = await node["api"].StopAsync(TestContext.Current.CancellationToken);
        Assert.Equal(ProcessStatus.Stopped, stopped!.Status);
        Assert.False(node["api"].IsActive);

        await node["gate"].StartAsync(TestContext.Current.CancellationToken);
        await node.WaitForAsync("gate", p => p.LastLine == "open", "open");
        // The gate's start and last line were published, each waking the dependency loop: api stayed stopped.
        Assert.Equal(ProcessStatus.Stopped, node.Table.Get("api")!.Status);
    }

    [Fact]
    public async Task RunningDependent_WhoseDependencyStops_IsLeftRunning_AndSaysSo()
    {
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["db"] = ["say:db up", "sleep"], ["api"] = ["say:api up", "sleep"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>> { ["api"] = DependsOn("db", DependencyCondition.ProcessStarted) });
        await node.Processes.RunAsync("api", ControlDeadline.None, TestContext.Current.CancellationToken);
        var running = await node.WaitForAsync("api", p => p.Status == ProcessStatus.Running, "running");

        await node["db"].StopAsync(TestContext.Current.CancellationToken);

        var api = await node.WaitForAsync("api", p => p.WaitingFor?.StartsWith("db (process_started): stopped", StringComparison.Ordinal) == true, "noting its stopped dependency");
        Assert.Equal(ProcessStatus.Running, api.Status);
        Assert.Equal(running.Pid, api.Pid);
        Assert.StartsWith("db (process_started): stopped", api.WaitingFor, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RemoteDependency_WithNoWayToHearOfIt_StaysPending()
    {
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["api"] = ["sleep"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>> { ["api"] = DependsOn("db", DependencyCondition.ProcessHealthy, node: "b") });

        var run = await node.Processes.RunAsync("api", ControlDeadline.None, TestContext.Current.CancellationToken);

        Assert.Equal(ProcessStatus.Pending, run.Process.Status);
        Assert.Equal("b/db (process_healthy): not started", run.Process.WaitingFor);
    }
}
