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

    /// <summary>
    /// A search that costs its whole budget runs off the grain's turn: the call returns at once, so the grain
    /// (reentrant, which interleaves calls only at awaits) serves a tail of the same node while the search runs.
    /// Run in the turn, the call returned only once the search had spent its budget, and every tail waited for it.
    /// </summary>
    [Fact]
    public async Task SearchAsync_CatastrophicPattern_RunsOffTheGrainsTurn_ATailAnswersMeanwhile()
    {
        const string words = "queue worker finished processing the nightly batch for tenant acme in good order!";
        await using var node = new SupervisorHarness(new Dictionary<string, string[]>
        {
            // 20 lines that each take the regex its 250 ms per-line limit: 5 s of work, more than a search's 2 s budget.
            ["words"] = [.. Enumerable.Repeat("say:" + words, 20), "exit:0"],
        });
        await node["words"].StartAsync(TestContext.Current.CancellationToken);
        await node.WaitForAsync("words", p => p.Status == ProcessStatus.Succeeded, "succeeded");
        var grain = new NodeLogsGrain(node.Processes, TimeProvider.System);
        var catastrophic = new LogQuery(@"^(\w+\s?)+$", IsRegex: true, Script: null, Stream: null, Since: null, Limit: 10);

        var search = grain.SearchAsync(catastrophic);
        Assert.False(search.IsCompleted, "the search ran in the caller's turn");
        var tail = await grain.TailAsync("words", 5, afterSequence: null);
        Assert.Equal(5, tail.Lines.Length);

        var page = await search;
        Assert.True(page.Truncated, "a search of 5 s of regex work answered within its 2 s budget untruncated");
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
