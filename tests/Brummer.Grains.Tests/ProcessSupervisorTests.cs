using Brummer.Grains.Abstractions;
using Brummer.Grains.Logs;
using Brummer.Grains.Processes;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

public sealed class ProcessSupervisorTests
{
    [Fact]
    public async Task Start_ReturnsOnceTheProcessExists_WithItsPid()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["web"] = ["say:up", "sleep"] });

        var result = await node["web"].StartAsync(TestContext.Current.CancellationToken);

        Assert.False(result.AlreadyRunning);
        Assert.Equal(ProcessStatus.Running, result.Process.Status);
        Assert.NotNull(result.Process.Pid);
        Assert.True(OsProcesses.IsAlive(result.Process.Pid!.Value));
        Assert.NotNull(result.Process.StartedAt);
        // The table holds that run (its last line may already have moved on: the script prints at once).
        var published = node.Table.Get("web")!;
        Assert.Equal((result.Process.Pid, result.Process.StartedAt, result.Process.Restarts), (published.Pid, published.StartedAt, published.Restarts));
        Assert.True(published.Version >= result.Process.Version);
    }

    [Fact]
    public async Task Start_WhileRunning_ReturnsTheRunningOne_NeverTwo()
    {
        var marker = $"say:{Guid.NewGuid():n}";
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["web"] = [marker, "sleep"] });
        var first = await node["web"].StartAsync(TestContext.Current.CancellationToken);

        var again = await Task.WhenAll(Enumerable.Range(0, 5).Select(_ => node["web"].StartAsync(TestContext.Current.CancellationToken)));

        Assert.All(again, r => Assert.True(r.AlreadyRunning));
        Assert.All(again, r => Assert.Equal(first.Process.Pid, r.Process.Pid));
        // Read until the process shows its command line: during an exec (setsid handing over to the program) the
        // kernel briefly shows none, and a read then finds nothing.
        var running = await Eventually.UntilAsync(() => Task.FromResult(OsProcesses.WithCommandLine(marker)), l => l.Count > 0, "the process's command line");
        Assert.Equal([first.Process.Pid!.Value], running);
    }

    [Fact]
    public async Task Stop_KillsWholeTree_IncludingSigtermIgnoringChildAndGrandchild()
    {
        var grandchildPidFile = Path.Combine(Path.GetTempPath(), $"brummer-tree-{Guid.NewGuid():n}.pid");
        await using var supervisor = new SupervisorHarness(new Dictionary<string, string[]>
        {
            ["tree"] = ["ignore-sigterm", $"child:{grandchildPidFile}", "say:ready", "sleep"],
        });

        var started = await supervisor["tree"].StartAsync(TestContext.Current.CancellationToken);
        await Eventually.FileAsync(grandchildPidFile);
        var leader = started.Process.Pid!.Value;
        var grandchild = Dummy.ReadPid(grandchildPidFile);
        Assert.True(OsProcesses.IsAlive(grandchild));
        Assert.Contains(grandchild, OsProcesses.GroupMembers(leader));

        var stopped = await supervisor["tree"].StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProcessStatus.Stopped, stopped!.Status);
        Assert.NotNull(stopped.ExitedAt);
        Assert.False(OsProcesses.IsAlive(leader), "the SIGTERM-ignoring leader is gone");
        Assert.False(OsProcesses.IsAlive(grandchild), "the SIGTERM-ignoring grandchild is gone");
        Assert.Empty(OsProcesses.GroupMembers(leader));
        File.Delete(grandchildPidFile);
    }

    [Fact]
    public async Task Stop_CooperativeProcess_IsStoppedNotFailed()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["web"] = ["say:listening", "sleep"] });
        var started = await node["web"].StartAsync(TestContext.Current.CancellationToken);

        var stopped = await node["web"].StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProcessStatus.Stopped, stopped!.Status);
        Assert.Equal(started.Process.Pid, stopped.Pid);
        Assert.False(OsProcesses.IsAlive(started.Process.Pid!.Value));
        Assert.Equal(ProcessStatus.Stopped, node.Table.Get("web")!.Status);
    }

    [Fact]
    public async Task Stop_NeverStarted_ChangesNothing()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["web"] = ["sleep"] });

        var result = await node["web"].StopAsync(TestContext.Current.CancellationToken);

        Assert.Null(result);
        Assert.Equal(0, node.Table.Snapshot.Version);
    }

    [Fact]
    public async Task ExitZero_OnItsOwn_IsSucceeded()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["build"] = ["say:compiling", "say:done", "exit:0"] });

        await node["build"].StartAsync(TestContext.Current.CancellationToken);
        var done = await node.WaitForAsync("build", p => !p.Status.IsActive(), "finished");

        Assert.Equal(ProcessStatus.Succeeded, done.Status);
        Assert.Equal(0, done.ExitCode);
        Assert.Equal("done", done.LastLine);
        Assert.NotNull(done.ExitedAt);
    }

    [Fact]
    public async Task ExitNonZero_OnItsOwn_IsFailedWithExitCode()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["check"] = ["err:Error: config.apiUrl is missing", "exit:3"] });

        await node["check"].StartAsync(TestContext.Current.CancellationToken);
        var done = await node.WaitForAsync("check", p => !p.Status.IsActive(), "finished");

        Assert.Equal(ProcessStatus.Failed, done.Status);
        Assert.Equal(3, done.ExitCode);
        Assert.Equal("Error: config.apiUrl is missing", done.LastLine);
    }

    [Fact]
    public async Task LastLine_IsTheLastLineThatSaysSomething_NotATrailingBlankOne()
    {
        // npm ends its "> name / > command" header with a blank line on stdout: never what status should show.
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["build"] = ["say:done", "say:", "say:   ", "exit:0"] });

        await node["build"].StartAsync(TestContext.Current.CancellationToken);
        var done = await node.WaitForAsync("build", p => !p.Status.IsActive(), "finished");

        Assert.Equal("done", done.LastLine);
        Assert.Equal(["done", "", "   "], node["build"].Output.Log.Tail().Select(l => l.Text)); // the log keeps every line
    }

    [Fact]
    public async Task Start_MissingProgram_IsFailedWithReason()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["dev"] = ["sleep"] }, executable: "brummer-no-such-program");

        var result = await node["dev"].StartAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProcessStatus.Failed, result.Process.Status);
        Assert.Null(result.Process.Pid);
        Assert.Contains("'brummer-no-such-program' was not found on PATH", result.Process.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Restart_StopsThenRuns_CountingRestarts()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["web"] = ["sleep"] });
        var first = await node["web"].StartAsync(TestContext.Current.CancellationToken);

        var restarted = await node["web"].RestartAsync(TestContext.Current.CancellationToken);
        var again = await node["web"].RestartAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProcessStatus.Running, again.Status);
        Assert.Equal(1, restarted.Restarts);
        Assert.Equal(2, again.Restarts);
        Assert.NotEqual(first.Process.Pid, restarted.Pid);
        Assert.False(OsProcesses.IsAlive(first.Process.Pid!.Value));
        Assert.False(OsProcesses.IsAlive(restarted.Pid!.Value));
        Assert.True(OsProcesses.IsAlive(again.Pid!.Value));
    }

    [Fact]
    public async Task Output_IsCapturedPerStream()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["task"] = ["say:hello", "err:oops", "exit:0"] });

        await node["task"].StartAsync(TestContext.Current.CancellationToken);
        await node.WaitForAsync("task", p => p.Status == ProcessStatus.Succeeded, "succeeded");

        var lines = node["task"].Output.Log.Tail();
        Assert.Contains(lines, l => l.Source == LogSource.Stdout && l.Text == "hello");
        Assert.Contains(lines, l => l.Source == LogSource.Stderr && l.Text == "oops");
    }

    [Fact]
    public async Task Output_IsBoundedToTheBuffer_KeepingTheNewestLines()
    {
        await using var node = new SupervisorHarness(
            new Dictionary<string, string[]> { ["chatty"] = ["print:250", "exit:0"] },
            new ProcessOptions { LogLines = 100 });

        await node["chatty"].StartAsync(TestContext.Current.CancellationToken);
        await node.WaitForAsync("chatty", p => p.Status == ProcessStatus.Succeeded, "succeeded");

        var lines = node["chatty"].Output.Log.Tail();
        Assert.Equal(100, lines.Count);
        Assert.Equal("line 151", lines[0].Text);
        Assert.Equal("line 250", lines[^1].Text);
        Assert.Equal(250, lines[^1].Sequence);
        Assert.Equal("line 250", node.Table.Get("chatty")!.LastLine);
    }

    [Fact]
    public async Task StopAll_LeavesNothingRunning()
    {
        var pidFile = Path.Combine(Path.GetTempPath(), $"brummer-stopall-{Guid.NewGuid():n}.pid");
        await using var node = new SupervisorHarness(new Dictionary<string, string[]>
        {
            ["a"] = ["sleep"],
            ["b"] = ["ignore-sigterm", "sleep"],
            ["c"] = [$"child:{pidFile}", "sleep"],
        });
        var pids = new List<int>();
        foreach (var name in new[] { "a", "b", "c" })
        {
            pids.Add((await node[name].StartAsync(TestContext.Current.CancellationToken)).Process.Pid!.Value);
        }

        pids.Add(Dummy.ReadPid(await Eventually.FileAsync(pidFile)));

        await node.Processes.StopAllAsync(TestContext.Current.CancellationToken);

        Assert.All(pids, pid => Assert.False(OsProcesses.IsAlive(pid), $"pid {pid} is gone"));
        Assert.All(node.Table.Snapshot.Processes, p => Assert.Equal(ProcessStatus.Stopped, p.Status));
        File.Delete(pidFile);
    }
}
