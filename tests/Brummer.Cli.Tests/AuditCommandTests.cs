using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary><c>brummer audit</c> after control verbs of the CLI, against a real <c>brummer up</c>.</summary>
[Collection(RecordVerbFixture.Collection)]
public sealed class AuditCommandTests(RecordVerbFixture fixture)
{
    [Fact]
    public async Task Audit_AfterARunAndAStopThroughTheCli_ListsBothByUserAtHostNewestFirst()
    {
        Assert.Equal(0, (await fixture.CliAsync("run", "sleepy")).ExitCode);
        Assert.Equal(0, (await fixture.CliAsync("stop", "sleepy")).ExitCode);

        var table = await fixture.CliAsync("audit");
        var json = await fixture.CliAsync("audit", "--node", "solo", "--json");

        Assert.Equal(0, table.ExitCode);
        var mine = table.Output.Split('\n').Where(l => l.Contains("solo/sleepy", StringComparison.Ordinal)).ToList();
        Assert.Equal(2, mine.Count);
        Assert.Matches($@"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d  {System.Text.RegularExpressions.Regex.Escape(RecordVerbFixture.Me)}  stop  solo/sleepy  ok$", mine[0].TrimEnd());
        Assert.Matches($@"^\d{{4}}-\d\d-\d\d \d\d:\d\d:\d\d  {System.Text.RegularExpressions.Regex.Escape(RecordVerbFixture.Me)}  run  solo/sleepy  ok$", mine[1].TrimEnd());
        Assert.Equal(0, json.ExitCode);
        var entries = JsonDocument.Parse(json.Output).RootElement.GetProperty("entries").EnumerateArray()
            .Where(e => e.GetProperty("name").GetString() == "sleepy")
            .Select(e => (e.GetProperty("by").GetString(), e.GetProperty("action").GetString())).ToList();
        Assert.Equal([(RecordVerbFixture.Me, "stop"), (RecordVerbFixture.Me, "run")], entries);
    }
}
