using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

/// <summary>Restart policies and probes on real processes: backoff read from status timestamps, liveness restarts, readiness.</summary>
public sealed class RestartPolicyTests
{
    private static readonly RestartPolicy OnFailure = new(RestartMode.OnFailure, TimeSpan.FromMilliseconds(300), TimeSpan.FromSeconds(1), MaxRestarts: 3, StableAfter: TimeSpan.FromSeconds(30));

    [Fact]
    public async Task CrashingProcess_IsRestartedWithGrowingBackoff_ThenFailsForGoodWithTheReason()
    {
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["crash"] = ["err:boom", "exit:1"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>> { ["crash"] = d => d with { Availability = OnFailure } });
        var seen = new List<ProcessInfo>();
        using var recording = new CancellationTokenSource();
        var recorder = RecordAsync(node, "crash", seen, recording.Token);

        await node["crash"].StartAsync(TestContext.Current.CancellationToken);

        var final = await node.WaitForAsync("crash", p => p.Status == ProcessStatus.Failed, "failed for good", TimeSpan.FromMinutes(2));
        await recording.CancelAsync();
        await recorder;
        Assert.Equal(3, final.Restarts);
        Assert.Equal(1, final.ExitCode);
        Assert.Contains("max_restarts 3", final.Reason, StringComparison.Ordinal);
        Assert.Null(final.NextRestartAt);

        // Each wait, from the exit to the next start, read from the status the node published.
        var restarting = seen.Where(p => p.Status == ProcessStatus.Restarting).DistinctBy(p => p.Restarts).ToList();
        Assert.NotEmpty(restarting);
        foreach (var wait in restarting)
        {
            var expected = TimeSpan.FromMilliseconds(300 * Math.Pow(2, wait.Restarts));
            var capped = expected > TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : expected;
            var planned = wait.NextRestartAt!.Value - wait.ExitedAt!.Value;
            Assert.InRange(planned, capped * 0.8 - TimeSpan.FromMilliseconds(1), capped * 1.2 + TimeSpan.FromMilliseconds(1));
            var next = seen.FirstOrDefault(p => p.Restarts == wait.Restarts + 1 && p.StartedAt is not null);
            if (next is not null)
            {
                Assert.True(next.StartedAt >= wait.NextRestartAt, $"restart {wait.Restarts + 1} began {next.StartedAt:O}, before its time {wait.NextRestartAt:O}");
            }
        }
    }

    [Fact]
    public async Task CrashingProcess_WithNoBackoff_IsRestartedEveryTime_NeverLeftRestartingWithNothingRunning()
    {
        // No backoff: the restart begins at once, on the exit's own thread, before that thread has let go of the run
        // that ended. It used to find that run still set, take it for running, and start nothing.
        var immediate = OnFailure with { Backoff = TimeSpan.Zero, MaxBackoff = TimeSpan.Zero };
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["crash"] = ["exit:1"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>> { ["crash"] = d => d with { Availability = immediate } });

        await node["crash"].StartAsync(TestContext.Current.CancellationToken);

        var final = await node.WaitForAsync("crash", p => p.Status == ProcessStatus.Failed, "failed for good after 3 restarts", TimeSpan.FromMinutes(2));
        Assert.Equal(3, final.Restarts);
        Assert.False(node["crash"].IsActive);
    }

    [Fact]
    public async Task StopWhileRestarting_CancelsTheRestart()
    {
        var slow = OnFailure with { Backoff = TimeSpan.FromMinutes(5), MaxBackoff = TimeSpan.FromMinutes(5) };
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["crash"] = ["exit:2"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>> { ["crash"] = d => d with { Availability = slow } });
        await node["crash"].StartAsync(TestContext.Current.CancellationToken);
        var restarting = await node.WaitForAsync("crash", p => p.Status == ProcessStatus.Restarting, "restarting");
        Assert.NotNull(restarting.NextRestartAt);
        Assert.True(node["crash"].IsActive);

        var stopped = await node["crash"].StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProcessStatus.Stopped, stopped!.Status);
        Assert.Null(stopped.NextRestartAt);
        Assert.False(node["crash"].IsActive);
    }

    [Fact]
    public async Task StopOnRequest_NeverRestarts_EvenWithAlways()
    {
        var always = OnFailure with { Mode = RestartMode.Always, Backoff = TimeSpan.FromMilliseconds(50) };
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["web"] = ["say:up", "sleep"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>> { ["web"] = d => d with { Availability = always } });
        await node["web"].StartAsync(TestContext.Current.CancellationToken);

        var stopped = await node["web"].StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProcessStatus.Stopped, stopped!.Status);
        Assert.False(node["web"].IsActive);
        Assert.Equal(0, node.Table.Get("web")!.Restarts);
    }

    [Fact]
    public async Task ReadinessLogProbe_HealthGoesFromStartingToReady()
    {
        var gate = Path.Combine(Path.GetTempPath(), $"brummer-ready-{Guid.NewGuid():n}");
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["web"] = ["say:booting", $"wait-file:{gate}", "say:listening now", "sleep"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>>
            {
                ["web"] = d => d with { Readiness = new ProbeDefinition(new LogCheck("listening")) { Period = TimeSpan.FromMilliseconds(200) } },
            });

        var started = await node["web"].StartAsync(TestContext.Current.CancellationToken);
        Assert.Equal(ProcessHealth.Starting, started.Process.Health);
        await node.WaitForAsync("web", p => p.LastLine == "booting", "booting");
        Assert.Equal(ProcessHealth.Starting, node.Table.Get("web")!.Health);

        await File.WriteAllTextAsync(gate, "go", TestContext.Current.CancellationToken);

        var ready = await node.WaitForAsync("web", p => p.Health == ProcessHealth.Ready, "ready");
        Assert.True(ready.IsReady());
        File.Delete(gate);
    }

    [Fact]
    public async Task ReadinessExecProbe_RunsInTheProcessEnvironment_WhereItRuns()
    {
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["web"] = ["sleep"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>>
            {
                ["web"] = d => d with
                {
                    Environment = d.Environment.SetItem("GREETING", "hi"),
                    Readiness = new ProbeDefinition(new ExecCheck("""[ "$BRUMMER_NODE" = n1 ] && [ "$BRUMMER_SCRIPT" = web ] && [ "$GREETING" = hi ]"""))
                    {
                        Period = TimeSpan.FromMilliseconds(200),
                    },
                },
            });

        await node["web"].StartAsync(TestContext.Current.CancellationToken);

        var ready = await node.WaitForAsync("web", p => p.Health == ProcessHealth.Ready, "ready by its exec probe");
        Assert.Equal(ProcessStatus.Running, ready.Status);
    }

    [Fact]
    public async Task ReadinessLogProbe_LinePrintedTheMomentItStarts_IsReady()
    {
        // sh prints before the spawn call has even returned to the node: the probe must already be watching. Several
        // at once, on a fresh node (its code still cold), as a stack's first processes are started.
        using var dir = StackDirectory.WithFiles();
        var names = Enumerable.Range(0, 8).Select(i => $"fast-{i}").ToList();
        var readiness = new ProbeDefinition(new LogCheck("^ready$")) { Period = TimeSpan.FromSeconds(30) };
        await using var node = new SupervisorHarness(new ScriptCatalog(dir.Path, names.Select(name =>
            new ScriptDefinition(name, "echo ready; exec sleep 600", "/bin/sh", ["-c", "echo ready; exec sleep 600"], dir.Path, "brummer.yaml") { Readiness = readiness })));

        foreach (var name in names)
        {
            await node[name].StartAsync(TestContext.Current.CancellationToken);
        }

        foreach (var name in names)
        {
            // Well inside the probe's period: only the line itself, seen as it came, can make it ready in time.
            var ready = await node.WaitForAsync(name, p => p.Health == ProcessHealth.Ready, "ready", TimeSpan.FromSeconds(20));
            Assert.Equal(ProcessStatus.Running, ready.Status);
        }
    }

    [Fact]
    public async Task FailingLivenessProbe_RestartsTheProcess()
    {
        var alive = Path.Combine(Path.GetTempPath(), $"brummer-alive-{Guid.NewGuid():n}");
        await File.WriteAllTextAsync(alive, "yes", TestContext.Current.CancellationToken);
        var liveness = new ProbeDefinition(new ExecCheck($"test -f {alive}")) { Period = TimeSpan.FromMilliseconds(200), FailureThreshold = 2 };
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["web"] = ["say:up", "sleep"] },
            shape: new Dictionary<string, Func<ScriptDefinition, ScriptDefinition>>
            {
                ["web"] = d => d with { Liveness = liveness, Availability = OnFailure with { Backoff = TimeSpan.FromMilliseconds(100) } },
            });
        var first = await node["web"].StartAsync(TestContext.Current.CancellationToken);

        File.Delete(alive);

        var restarted = await node.WaitForAsync("web", p => p.Restarts >= 1 && p.Status == ProcessStatus.Running, "restarted after its liveness probe failed");
        Assert.NotEqual(first.Process.Pid, restarted.Pid);
        Assert.False(OsProcesses.IsAlive(first.Process.Pid!.Value));
    }

    private static async Task RecordAsync(SupervisorHarness node, string name, List<ProcessInfo> seen, CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var change = node.Table.NextChange;
            if (node.Table.Get(name) is { } info && (seen.Count == 0 || seen[^1].Version != info.Version))
            {
                seen.Add(info);
            }

            try
            {
                await change.WaitAsync(cancellationToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }
}
