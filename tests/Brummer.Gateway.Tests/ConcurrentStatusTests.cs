using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Gateway.Tests;

/// <summary>The Go Brummer's scripts_status locked up under concurrent calls; ours must not, while processes churn.</summary>
[Collection(ClusterTests.Name)]
public sealed class ConcurrentStatusTests(ClusterFixture cluster)
{
    [Fact]
    public async Task ScriptsStatus_500ConcurrentCallsWhile20ProcessesChurn_AllSucceedWithEachProcessOnce()
    {
        var ct = TestContext.Current.CancellationToken;
        var churn = Enumerable.Range(0, ClusterFixture.ChurnScripts).Select(i => $"churn{i:00}").ToArray();

        // Every churn script has run once, so each must appear in every snapshot from here on.
        await Task.WhenAll(churn.Select(name => cluster.CallAsync("scripts_run", new { name })));

        using var stopChurn = new CancellationTokenSource();
        var cycleCounts = new int[churn.Length];
        var churning = Task.WhenAll(churn.Select((name, i) => Task.Run(async () =>
        {
            while (!stopChurn.IsCancellationRequested)
            {
                await cluster.CallAsync("scripts_stop", new { name });
                await cluster.CallAsync("scripts_run", new { name });
                Interlocked.Increment(ref cycleCounts[i]);
            }
        }, ct)));

        // Waves of 500 concurrent calls until the churn has really interleaved with them (every script cycled at
        // least twice): on a loaded machine one wave can finish before the first stop lands. The deadline only bounds
        // a churn that stopped making progress: on a busy machine a cycle (stop, then start a .NET process) takes seconds.
        var results = new List<ModelContextProtocol.Protocol.CallToolResult>();
        var deadline = DateTime.UtcNow + TimeSpan.FromMinutes(3);
        do
        {
            results.AddRange(await Task.WhenAll(Enumerable.Range(0, 500).Select(_ => cluster.CallRawAsync("scripts_status"))));
        }
        while (Enumerable.Range(0, churn.Length).Any(i => Volatile.Read(ref cycleCounts[i]) < 2) && DateTime.UtcNow < deadline);

        await stopChurn.CancelAsync();
        await churning;
        var cycles = cycleCounts;

        Assert.All(results, r => Assert.True(r.IsError is not true, ClusterFixture.Text(r)));
        var statuses = new HashSet<string>(StringComparer.Ordinal);
        foreach (var result in results)
        {
            var processes = ClusterFixture.Structured(result).GetProperty("processes").EnumerateArray().ToList();
            var names = processes.Select(p => p.GetProperty("name").GetString()!).ToList();
            Assert.Equal(names.Count, names.Distinct(StringComparer.Ordinal).Count());
            Assert.All(churn, name => Assert.Single(names, n => n == name));
            foreach (var p in processes.Where(p => churn.Contains(p.GetProperty("name").GetString())))
            {
                statuses.Add(p.GetProperty("status").GetString()!);
            }
        }

        Assert.All(cycles, c => Assert.True(c >= 1));
        Assert.Contains("running", statuses);
        Assert.Contains("stopped", statuses);

        await Task.WhenAll(churn.Select(name => cluster.CallAsync("scripts_stop", new { name })));
        var final = await cluster.CallAsync("scripts_status");
        Assert.All(
            final.GetProperty("processes").EnumerateArray().Where(p => churn.Contains(p.GetProperty("name").GetString())),
            p => Assert.Equal("stopped", p.GetProperty("status").GetString()));
        Assert.All(
            final.GetProperty("processes").EnumerateArray().Where(p => p.TryGetProperty("pid", out var pid) && pid.ValueKind == JsonValueKind.Number && churn.Contains(p.GetProperty("name").GetString())),
            p => Assert.False(OsProcesses.IsAlive(p.GetProperty("pid").GetInt32())));
    }
}
