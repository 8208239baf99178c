using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary><c>brummer history</c>: a script's runs as the CLI shows them, against a real <c>brummer up</c>.</summary>
[Collection(RecordVerbFixture.Collection)]
public sealed class HistoryCommandTests(RecordVerbFixture fixture)
{
    [Fact]
    public async Task History_TwoRunsOneFailing_ListsBothNewestFirstWithExitCodesErrorsAndWhoStartedThem()
    {
        Assert.Equal(0, (await fixture.CliAsync("run", "build")).ExitCode);
        Assert.Equal(0, (await fixture.CliAsync("wait", "build", "--for", "failed", "--timeout", "120")).ExitCode);
        fixture.Stack.Write("fixed", "yes");
        Assert.Equal(0, (await fixture.CliAsync("run", "build")).ExitCode);
        Assert.Equal(0, (await fixture.CliAsync("wait", "build", "--for", "succeeded", "--timeout", "120")).ExitCode);

        var table = await fixture.CliAsync("history", "build");
        var json = await fixture.CliAsync("history", "build", "--node", "solo", "--json");
        var unknown = await fixture.CliAsync("history", "deploy");

        Assert.Equal(0, table.ExitCode);
        var lines = table.Output.Split('\n').Select(l => l.TrimEnd()).ToList();
        Assert.Equal(3, lines.Count);
        Assert.Matches(@"^RUN\s+OUTCOME\s+STARTED\s+ENDED\s+EXIT\s+ERRORS\s+DURATION\s+STARTED BY$", lines[0]);
        var me = System.Text.RegularExpressions.Regex.Escape(RecordVerbFixture.Me);
        Assert.Matches($@"^2\s+succeeded\s+[0-9: -]+\s+[0-9: -]+\s+0\s+0\s+\d+\.\ds\s+{me}$", lines[1]);
        Assert.Matches($@"^1\s+failed\s+[0-9: -]+\s+[0-9: -]+\s+3\s+1\s+\d+\.\ds\s+{me}$", lines[2]);
        Assert.Equal(0, json.ExitCode);
        var runs = JsonDocument.Parse(json.Output).RootElement.GetProperty("runs").EnumerateArray()
            .Select(r => (r.GetProperty("run").GetInt32(), r.GetProperty("outcome").GetString(), r.GetProperty("exit_code").GetInt32())).ToList();
        Assert.Equal([(2, "succeeded", 0), (1, "failed", 3)], runs);
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("brummer: Unknown script 'deploy' on node 'solo'. Scripts: api, build, sleepy, web.", unknown.Output);
    }
}
