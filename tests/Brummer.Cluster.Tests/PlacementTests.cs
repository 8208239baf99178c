using System.Text;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;
using Brummer.Tests;
using Orleans.Runtime;

namespace Brummer.Cluster.Tests;

/// <summary>Node-pinned placement over a real two-silo cluster: a process grain runs its OS process on its own node.</summary>
[Collection(SharedClusterTests.Name)]
public sealed class PlacementTests(SharedClusterFixture fixture)
{
    private TwoNodeCluster Cluster => fixture.Cluster;

    [Fact]
    public async Task ProcessGrain_SameScriptOnTwoNodes_EachRunsOnItsOwnSilo()
    {
        var onA = await Cluster.Process(TwoNodeCluster.A, "x").RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        var onB = await Cluster.Process(TwoNodeCluster.B, "x").RunAsync(cancellationToken: TestContext.Current.CancellationToken);
        var pidA = onA.Process.Pid!.Value;
        var pidB = onB.Process.Pid!.Value;

        Assert.Equal(TwoNodeCluster.A, onA.Process.Node);
        Assert.Equal(TwoNodeCluster.B, onB.Process.Node);
        Assert.NotEqual(pidA, pidB);

        // Each silo's own table shows its own process, and only that one.
        AssertRunsOnly(Cluster.Table(TwoNodeCluster.A), "x", pidA, pidB);
        AssertRunsOnly(Cluster.Table(TwoNodeCluster.B), "x", pidB, pidA);

        // The OS agrees: each process was spawned by its node's supervisor, with that node in its environment.
        Assert.Equal(TwoNodeCluster.A, EnvironmentOf(pidA, "BRUMMER_NODE"));
        Assert.Equal(TwoNodeCluster.B, EnvironmentOf(pidB, "BRUMMER_NODE"));
        Assert.Equal("x", EnvironmentOf(pidB, "BRUMMER_SCRIPT"));

        // And each grain is registered on the silo named after its node, and only there: no node's grains depend on
        // another node's slice of the directory.
        Assert.Equal([TwoNodeCluster.A], Cluster.RegisteredOn(Cluster.Process(TwoNodeCluster.A, "x")));
        Assert.Equal([TwoNodeCluster.B], Cluster.RegisteredOn(Cluster.Process(TwoNodeCluster.B, "x")));

        // Each node's own line comes from its own process.
        await Eventually.UntilAsync(
            () => Task.FromResult(Cluster.Table(TwoNodeCluster.B).Get("x")?.LastLine),
            line => line == "x on b",
            "b/x to print its line");
        Assert.Equal("x on a", (await Eventually.UntilAsync(
            () => Task.FromResult(Cluster.Table(TwoNodeCluster.A).Get("x")?.LastLine),
            line => line == "x on a",
            "a/x to print its line")));

        await Cluster.Process(TwoNodeCluster.A, "x").StopAsync(cancellationToken: TestContext.Current.CancellationToken);
        var stoppedB = await Cluster.Process(TwoNodeCluster.B, "x").StopAsync(cancellationToken: TestContext.Current.CancellationToken);
        Assert.Equal(ProcessStatus.Stopped, stoppedB.Status);
        Assert.Empty(OsProcesses.GroupMembers(pidA));
        Assert.Empty(OsProcesses.GroupMembers(pidB));
    }

    [Fact]
    public async Task ProcessGrain_ScriptOfTheOtherNode_IsNotRunHere()
    {
        // only-b exists on b only: asking a for it must not run b's script on a (nor anything at all).
        var onB = Cluster.Table(TwoNodeCluster.B).Get("only-b");
        var versionOfA = Cluster.Table(TwoNodeCluster.A).Snapshot.Version;

        var error = await Assert.ThrowsAnyAsync<Exception>(() => Cluster.Process(TwoNodeCluster.A, "only-b").RunAsync(cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains("'a/only-b' is not a script of node 'a'", error.Message, StringComparison.Ordinal);
        Assert.Null(Cluster.Table(TwoNodeCluster.A).Get("only-b"));
        Assert.Equal(versionOfA, Cluster.Table(TwoNodeCluster.A).Snapshot.Version);
        Assert.Same(onB, Cluster.Table(TwoNodeCluster.B).Get("only-b"));
    }

    [Fact]
    public async Task Grain_ForANodeNotInTheCluster_FailsNamingTheLiveNodes()
    {
        var process = await Assert.ThrowsAnyAsync<Exception>(() => Cluster.Process("zzz", "x").RunAsync(cancellationToken: TestContext.Current.CancellationToken));
        var node = await Assert.ThrowsAnyAsync<Exception>(() => Cluster.Client.GetGrain<INodeGrain>("zzz").GetSnapshotAsync());

        foreach (var error in new[] { process, node })
        {
            Assert.Contains("Node 'zzz' is not in the cluster", error.Message, StringComparison.Ordinal);
            Assert.Contains("Live nodes: a, b.", error.Message, StringComparison.Ordinal);
        }
    }

    private static void AssertRunsOnly(NodeStatusTable table, string script, int pid, int otherNodesPid)
    {
        var info = table.Get(script);
        Assert.NotNull(info);
        Assert.Equal(ProcessStatus.Running, info.Status);
        Assert.Equal(pid, info.Pid);
        Assert.Equal(table.Node, info.Node);
        Assert.Equal([pid], table.Snapshot.Processes.Where(p => p.Status == ProcessStatus.Running && p.Name == script).Select(p => p.Pid!.Value));
        Assert.DoesNotContain(table.Snapshot.Processes, p => p.Pid == otherNodesPid);
    }

    /// <summary>One variable of a live process's environment, as the OS holds it (/proc/PID/environ).</summary>
    private static string? EnvironmentOf(int pid, string name)
    {
        var prefix = name + "=";
        foreach (var entry in Encoding.UTF8.GetString(File.ReadAllBytes($"/proc/{pid}/environ")).Split('\0'))
        {
            if (entry.StartsWith(prefix, StringComparison.Ordinal))
            {
                return entry[prefix.Length..];
            }
        }

        return null;
    }
}
