using System.Globalization;
using Brummer.Grains.Abstractions;

namespace Brummer.Grains.Tests;

/// <summary>
/// One node's part of a logs_search (<see cref="NodeLogsGrain.Search"/>) over the buffers of real processes: newest
/// first across processes, and bounded work — it stops at its line budget or its time budget and says so.
/// </summary>
public sealed class NodeLogSearchTests
{
    private const int LinesEach = 5_000;

    [Fact]
    public async Task Search_MoreLinesThanTheLineBudget_StopsThere_MarkedTruncated()
    {
        await using var node = await ThreeChattyScriptsAsync();
        var nothing = new LogQuery("no line says this", IsRegex: false, Script: null, Stream: null, Since: null, Limit: 100);

        var cut = NodeLogsGrain.Search("n1", node.Processes.All, nothing, maxScannedLines: 12_000, TimeSpan.FromSeconds(30));
        var whole = NodeLogsGrain.Search("n1", node.Processes.All, nothing, maxScannedLines: 3 * LinesEach, TimeSpan.FromSeconds(30));

        Assert.Equal((true, 0), (cut.Truncated, cut.Lines.Length));
        Assert.Equal((false, 0), (whole.Truncated, whole.Lines.Length));
    }

    [Fact]
    public async Task Search_TimeBudgetSpent_AnswersWhatItHas_MarkedTruncated()
    {
        await using var node = await ThreeChattyScriptsAsync();
        var any = new LogQuery("line", IsRegex: false, Script: null, Stream: null, Since: null, Limit: 100);

        var page = NodeLogsGrain.Search("n1", node.Processes.All, any, NodeLogsGrain.MaxScannedLines, TimeSpan.Zero);

        Assert.True(page.Truncated);
    }

    [Fact]
    public async Task Search_AcrossProcesses_TheLimitIsOverall_NewestFirst()
    {
        await using var node = await ThreeChattyScriptsAsync();
        var numbered = new LogQuery(@"^line \d+$", IsRegex: true, Script: null, Stream: null, Since: null, Limit: 10);

        var page = NodeLogsGrain.Search("n1", node.Processes.All, numbered, NodeLogsGrain.MaxScannedLines, NodeLogsGrain.SearchTimeBudget);

        Assert.False(page.Truncated);
        Assert.Equal(10, page.Lines.Length);
        Assert.Equal(page.Lines.OrderByDescending(l => l.Time).ThenByDescending(l => l.Sequence), page.Lines);
        Assert.All(page.Lines, l => Assert.Equal("n1", l.Node));
        Assert.Contains(page.Lines, l => l.Text == string.Create(CultureInfo.InvariantCulture, $"line {LinesEach}"));
    }

    private static async Task<SupervisorHarness> ThreeChattyScriptsAsync()
    {
        var node = new SupervisorHarness(new Dictionary<string, string[]>
        {
            ["a"] = [$"print:{LinesEach}", "exit:0"],
            ["b"] = [$"print:{LinesEach}", "exit:0"],
            ["c"] = [$"print:{LinesEach}", "exit:0"],
        });
        foreach (var name in (string[])["a", "b", "c"])
        {
            await node[name].StartAsync(TestContext.Current.CancellationToken);
        }

        foreach (var name in (string[])["a", "b", "c"])
        {
            await node.WaitForAsync(name, p => p.Status == ProcessStatus.Succeeded, "succeeded");
            Assert.Equal(LinesEach, node[name].Output.Log.Count);
        }

        return node;
    }
}
