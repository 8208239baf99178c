using System.Diagnostics;
using Brummer.Grains.Processes;
using Brummer.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brummer.Grains.Tests;

/// <summary>
/// The watchdog between a node and its scripts: when the node's end of the pipe closes — which is all a SIGKILLed node
/// can still do — every group it listed is stopped; groups it was told are gone are left alone.
/// </summary>
public sealed class ProcessWatchdogTests : IDisposable
{
    private readonly StackDirectory _files = new(new Dictionary<string, string>());
    private readonly List<Process> _started = [];

    [Fact]
    public async Task PipeClosed_TrackedGroupIgnoringSigterm_IsKilledWithItsGrandchild()
    {
        var watchdog = new ProcessWatchdog(new ProcessOptions { OrphanGrace = TimeSpan.FromMilliseconds(300) }, NullLogger<ProcessWatchdog>.Instance);
        var (group, grandchild) = await StartTreeAsync("a");
        watchdog.Track(group);

        watchdog.Dispose(); // What the kernel does for a SIGKILLed node: its end of the pipe closes.

        await Eventually.UntilAsync(
            () => OsProcesses.GroupMembers(group).Count == 0 && !OsProcesses.IsAlive(grandchild),
            "the tracked group and its grandchild to be gone",
            TimeSpan.FromSeconds(5));
    }

    [Fact]
    public async Task PipeClosed_ForgottenGroup_IsLeftRunning()
    {
        var watchdog = new ProcessWatchdog(new ProcessOptions { OrphanGrace = TimeSpan.FromMilliseconds(300) }, NullLogger<ProcessWatchdog>.Instance);
        var (kept, _) = await StartTreeAsync("kept");
        var (killed, _) = await StartTreeAsync("killed");
        watchdog.Track(kept);
        watchdog.Track(killed);
        watchdog.Forget(kept); // e.g. the group ended and its id may be reused by someone else's process
        var watchdogPid = watchdog.Pid!.Value;

        watchdog.Dispose();

        await Eventually.UntilAsync(() => !OsProcesses.IsAlive(watchdogPid), "the watchdog to finish");
        // SIGKILL is delivered when the target next runs, so on a busy machine the group can outlive the watchdog briefly.
        await Eventually.UntilAsync(() => OsProcesses.GroupMembers(killed).Count == 0, "the tracked group to be gone");
        Assert.NotEmpty(OsProcesses.GroupMembers(kept));
    }

    [Fact]
    public async Task WatchdogKilledBySomeone_NextTrackStartsANewOneThatStillKnowsEveryGroup()
    {
        var watchdog = new ProcessWatchdog(new ProcessOptions { OrphanGrace = TimeSpan.FromMilliseconds(300) }, NullLogger<ProcessWatchdog>.Instance);
        var (first, _) = await StartTreeAsync("first");
        watchdog.Track(first);
        var original = watchdog.Pid!.Value;
        Process.GetProcessById(original).Kill();
        await Eventually.UntilAsync(() => !OsProcesses.IsAlive(original), "the first watchdog to die");

        var (second, _) = await StartTreeAsync("second");
        watchdog.Track(second);
        Assert.NotEqual(original, watchdog.Pid);
        watchdog.Dispose();

        await Eventually.UntilAsync(
            () => OsProcesses.GroupMembers(first).Count == 0 && OsProcesses.GroupMembers(second).Count == 0,
            "both groups to be gone",
            TimeSpan.FromSeconds(5));
    }

    /// <summary>A session of its own (as the supervisor starts scripts): a SIGTERM-ignoring leader with a grandchild.</summary>
    private async Task<(int Group, int Grandchild)> StartTreeAsync(string name)
    {
        var start = new ProcessStartInfo("setsid") { UseShellExecute = false, RedirectStandardOutput = true };
        foreach (var arg in new[] { "dotnet", Dummy.Dll, $"pidfile:{_files.File(name + ".pid")}", $"child:{_files.File(name + ".child")}", "ignore-sigterm", "sleep" })
        {
            start.ArgumentList.Add(arg);
        }

        _started.Add(Process.Start(start)!);
        var leader = Dummy.ReadPid(await Eventually.FileAsync(_files.File(name + ".pid")));
        var grandchild = Dummy.ReadPid(await Eventually.FileAsync(_files.File(name + ".child")));
        return (leader, grandchild);
    }

    public void Dispose()
    {
        foreach (var process in _started)
        {
            ProcessGroupKill(process.Id);
            process.Dispose();
        }

        _files.Dispose();
    }

    private static void ProcessGroupKill(int group) =>
        Process.Start("kill", ["-KILL", "--", $"-{group}"])!.WaitForExit();
}
