using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Grains.Tests;

public sealed class NodeStatusTableTests
{
    private static NodeStatusTable CreateTable(int scripts) => new(
        "n1",
        "127.0.0.1:1",
        Enumerable.Range(0, scripts).Select(i => new ScriptInfo("n1", $"s{i:00}", "cmd", "test")),
        TimeProvider.System);

    private static ProcessInfo Info(string name, ProcessStatus status) =>
        new("n1", name, status, 42, DateTimeOffset.UnixEpoch, null, null, 0, null, null, 0);

    [Fact]
    public void Publish_StampsGrowingVersions_AndListsEachProcessOnce()
    {
        var table = CreateTable(3);

        var first = table.Publish(Info("s00", ProcessStatus.Running));
        var second = table.Publish(Info("s01", ProcessStatus.Running));
        var third = table.Publish(Info("s00", ProcessStatus.Stopped));

        Assert.Equal([1L, 2L, 3L], [first.Version, second.Version, third.Version]);
        Assert.Equal(3, table.Snapshot.Version);
        Assert.Equal(["s00", "s01"], table.Snapshot.Processes.Select(p => p.Name));
        Assert.Equal(ProcessStatus.Stopped, table.Get("s00")!.Status);
        Assert.Null(table.Get("s02"));
        Assert.Null(table.Get("unknown"));
    }

    [Fact]
    public void Publish_UnknownScript_PublishesNothing()
    {
        var table = CreateTable(1);

        // e.g. the last line of a process a reload just removed, arriving after it left the table
        var returned = table.Publish(Info("nope", ProcessStatus.Running));

        Assert.Equal(0, returned.Version);
        Assert.Equal(0, table.Snapshot.Version);
        Assert.Empty(table.Snapshot.Processes);
    }

    [Fact]
    public void Define_KeptScriptsKeepTheirState_RemovedLeave_NewAppear()
    {
        var table = CreateTable(3);
        table.Publish(Info("s00", ProcessStatus.Running));
        table.Publish(Info("s01", ProcessStatus.Failed));
        var before = table.Snapshot;

        table.Define([new ScriptInfo("n1", "s00", "changed", "test"), new ScriptInfo("n1", "new", "cmd", "test")]);

        var after = table.Snapshot;
        Assert.True(after.Version > before.Version);
        Assert.Equal(after.Version, after.DefinitionsVersion);
        Assert.Equal(["s00", "new"], after.Scripts.Select(s => s.Name));
        Assert.Equal("changed", after.Scripts[0].Command);
        Assert.Equal(["s00"], after.Processes.Select(p => p.Name));
        Assert.Equal(ProcessStatus.Running, table.Get("s00")!.Status);
        Assert.Null(table.Get("s01"));

        // The kept cell still publishes into the new layout; the new one joins the snapshot on its first publish.
        table.Publish(Info("s00", ProcessStatus.Stopped));
        table.Publish(Info("new", ProcessStatus.Running));
        Assert.Equal(["s00", "new"], table.Snapshot.Processes.Select(p => p.Name));
        Assert.Equal(ProcessStatus.Stopped, table.Snapshot.Processes[0].Status);
        Assert.Equal(after.DefinitionsVersion, table.Snapshot.DefinitionsVersion);
    }

    [Fact]
    public void Define_WithError_KeepsScriptsAndPublishesTheError()
    {
        var table = CreateTable(2);

        table.Define(table.Scripts, "brummer.yaml:3:5: unknown key 'comand'");

        Assert.Equal(["s00", "s01"], table.Snapshot.Scripts.Select(s => s.Name));
        Assert.Equal("brummer.yaml:3:5: unknown key 'comand'", table.Snapshot.DefinitionsError);
        table.Define(table.Scripts);
        Assert.Null(table.Snapshot.DefinitionsError);
    }

    [Fact]
    public async Task NextChange_WakesEveryWaiter()
    {
        var table = CreateTable(1);
        var first = table.NextChange;
        var second = table.NextChange;
        Assert.False(first.IsCompleted);

        table.Publish(Info("s00", ProcessStatus.Running));

        await Task.WhenAll(first, second).WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
        Assert.False(table.NextChange.IsCompleted);
    }

    [Fact]
    public void Reads_AllocateNothing()
    {
        var table = CreateTable(100);
        for (var i = 0; i < 100; i++)
        {
            table.Publish(Info($"s{i:00}", ProcessStatus.Running));
        }

        table.TryGetCell("s42", out var cell);
        var buffer = new ProcessInfo[100];
        var sink = table.Snapshot.Version; // the first read after the writes builds the snapshot; later ones share it
        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 10_000; i++)
        {
            sink += (int)cell.Current!.Status;
            sink += (int)table.Get("s07")!.Status;
            sink += table.Snapshot.Processes.Length;
            Assert.True(table.TryCopyProcesses(buffer, out var written, out var version));
            sink += written + version;
        }

        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(0, allocated);
        Assert.True(sink > 0);
    }

    [Fact]
    public async Task Snapshot_UnderConcurrentWrites_IsAlwaysConsistent()
    {
        var table = CreateTable(20);
        using var stop = new CancellationTokenSource();
        var writers = Enumerable.Range(0, 2).Select(w => Task.Run(() =>
        {
            var n = 0;
            while (!stop.IsCancellationRequested)
            {
                table.Publish(Info($"s{(n++ * 7 + w) % 20:00}", n % 2 == 0 ? ProcessStatus.Running : ProcessStatus.Stopped));
            }
        })).ToArray();

        var lastVersion = 0L;
        for (var read = 0; read < 20_000; read++)
        {
            var snapshot = table.Snapshot;
            Assert.True(snapshot.Version >= lastVersion, "versions only grow");
            Assert.Equal(snapshot.Processes.Length, snapshot.Processes.Select(p => p.Name).Distinct().Count());
            Assert.All(snapshot.Processes, p => Assert.True(p.Version <= snapshot.Version));
            lastVersion = snapshot.Version;
        }

        await stop.CancelAsync();
        await Task.WhenAll(writers);
        Assert.True(table.Snapshot.Version > 0);
    }

    [Fact]
    public void Write_CopiesNoOtherProcess_AndASnapshotIsBuiltOncePerChange()
    {
        var table = CreateTable(100);
        for (var i = 0; i < 100; i++)
        {
            table.Publish(Info($"s{i:00}", ProcessStatus.Running));
        }

        var info = Info("s50", ProcessStatus.Stopped);
        var before = GC.GetAllocatedBytesForCurrentThread();
        table.Publish(info);
        var perWrite = GC.GetAllocatedBytesForCurrentThread() - before;

        // One stamped record; the old design copied all 100 entries (824 B) and a new snapshot per write.
        Assert.InRange(perWrite, 1, 400);
        var first = table.Snapshot;
        Assert.Same(first, table.Snapshot);
        Assert.Equal(ProcessStatus.Stopped, first.Processes[50].Status);
        Assert.Equal(table.Version, first.Version);
    }

    [Fact]
    public async Task Reads_UnderASingleWriter_SeeExactlyTheStateOfTheirVersion()
    {
        // One writer publishes s00, s01, ... s19, s00, ... with pid = version, so the state at version V is known:
        // script i is present once V > i, with pid = the last version <= V that wrote it. A torn read shows up at once.
        const int Scripts = 20;
        var table = CreateTable(Scripts);
        using var stop = new CancellationTokenSource();
        var writer = Task.Run(() =>
        {
            for (var version = 1L; !stop.IsCancellationRequested; version++)
            {
                var name = $"s{(version - 1) % Scripts:00}";
                table.Publish(new ProcessInfo("n1", name, ProcessStatus.Running, (int)version, DateTimeOffset.UnixEpoch, null, null, 0, null, null, 0));
            }
        }, TestContext.Current.CancellationToken);

        var buffer = new ProcessInfo[Scripts];
        var checkedVersions = 0;
        // Read while the writer runs: at least 20,000 reads, and until it has written 200,000 times.
        while (checkedVersions < 20_000 || table.Version < 200_000)
        {
            var snapshot = table.Snapshot;
            AssertStateOf(snapshot.Version, snapshot.Processes.AsSpan());
            Assert.True(table.TryCopyProcesses(buffer, out var written, out var version));
            AssertStateOf(version, buffer.AsSpan(0, written));
            checkedVersions += 2;
        }

        await stop.CancelAsync();
        await writer;

        static void AssertStateOf(long version, ReadOnlySpan<ProcessInfo> processes)
        {
            Assert.Equal((int)Math.Min(version, Scripts), processes.Length);
            for (var i = 0; i < processes.Length; i++)
            {
                var lastWrite = version - ((version - 1 - i) % Scripts);
                Assert.Equal($"s{i:00}", processes[i].Name);
                Assert.Equal((int)lastWrite, processes[i].Pid!.Value);
                Assert.Equal(lastWrite, processes[i].Version);
            }
        }
    }

    [Fact]
    public async Task Snapshot_UnderConcurrentReloads_ListsOnlyScriptsOfItsOwnDefinitions()
    {
        var table = CreateTable(4);
        ScriptInfo[] small = [new("n1", "s00", "cmd", "test"), new("n1", "s01", "cmd", "test")];
        ScriptInfo[] large = [.. small, new("n1", "s02", "cmd", "test"), new("n1", "s03", "cmd", "test")];
        using var stop = new CancellationTokenSource();
        var reloads = Task.Run(() =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                table.Define(n % 2 == 0 ? small : large);
            }
        }, TestContext.Current.CancellationToken);
        var writes = Task.Run(() =>
        {
            for (var n = 0; !stop.IsCancellationRequested; n++)
            {
                table.Publish(Info($"s{n % 4:00}", ProcessStatus.Running));
            }
        }, TestContext.Current.CancellationToken);

        for (var read = 0; read < 20_000; read++)
        {
            var snapshot = table.Snapshot;
            var defined = snapshot.Scripts.Select(s => s.Name).ToHashSet();
            Assert.All(snapshot.Processes, p => Assert.Contains(p.Name, defined));
            Assert.All(snapshot.Processes, p => Assert.True(p.Version <= snapshot.Version));
            Assert.True(snapshot.DefinitionsVersion <= snapshot.Version);
        }

        await stop.CancelAsync();
        await Task.WhenAll(reloads, writes);
    }

    [Fact]
    public async Task WaitForChange_CompletesAfterPublish()
    {
        var table = CreateTable(1);
        var waiting = table.WaitForChangeAsync(TestContext.Current.CancellationToken);
        Assert.False(waiting.IsCompleted);

        table.Publish(Info("s00", ProcessStatus.Running));

        await waiting.WaitAsync(TimeSpan.FromSeconds(10), TestContext.Current.CancellationToken);
    }
}
