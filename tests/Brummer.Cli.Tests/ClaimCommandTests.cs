using System.Net;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary><c>brummer claim</c>/<c>release</c> and <c>--force</c> against a real <c>brummer up</c>, with a teammate calling the API.</summary>
[Collection(RecordVerbFixture.Collection)]
public sealed class ClaimCommandTests(RecordVerbFixture fixture)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Claim_ByATeammate_RefusesTheCliWithTheLine_UntilForced_AndTheCliClaimsToo()
    {
        Assert.Equal(0, (await fixture.CliAsync("run", "web")).ExitCode);
        using (var claimed = await fixture.AsTeammate.PostAsync(new Uri("/api/processes/solo/web/claim?minutes=10&note=load%20test", UriKind.Relative), null, Ct))
        {
            Assert.Equal(HttpStatusCode.OK, claimed.StatusCode);
        }

        var stop = await fixture.CliAsync("stop", "web");
        var status = await fixture.CliAsync("status", "--name", "web");
        var release = await fixture.CliAsync("release", "web");
        var forcedStop = await fixture.CliAsync("stop", "web", "--force");
        var forcedRelease = await fixture.CliAsync("release", "web", "--force");
        var mine = await fixture.CliAsync("claim", "web", "--minutes", "5", "--note", "mine now");
        using var teammateRun = await fixture.AsTeammate.PostAsync(new Uri("/api/processes/solo/web/run", UriKind.Relative), null, Ct);
        var zero = await fixture.CliAsync("claim", "web", "--minutes", "0");
        var run = await fixture.CliAsync("run", "web");
        var released = await fixture.CliAsync("release", "web");

        Assert.Equal(1, stop.ExitCode);
        Assert.Matches(@"^brummer: 'web' on node 'solo' is claimed by kim@other-box until \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ: load test — pass force: true to act anyway \(recorded\)\.$", stop.Output);
        Assert.Contains("[claimed by kim@other-box until ", status.Output, StringComparison.Ordinal);
        Assert.Equal(1, release.ExitCode);
        Assert.StartsWith("brummer: 'web' on node 'solo' is claimed by kim@other-box", release.Output, StringComparison.Ordinal);
        Assert.Equal(0, forcedStop.ExitCode);
        Assert.Matches(@"^web on solo: stopped \(pid \d+\)$", forcedStop.Output);
        Assert.Equal(0, forcedRelease.ExitCode);
        Assert.StartsWith("web on solo: released (claimed by kim@other-box until ", forcedRelease.Output, StringComparison.Ordinal);
        Assert.Equal(0, mine.ExitCode);
        Assert.Matches($@"^web on solo: claimed by {System.Text.RegularExpressions.Regex.Escape(RecordVerbFixture.Me)} until [0-9: -]+: mine now$", mine.Output);
        Assert.Equal(HttpStatusCode.Conflict, teammateRun.StatusCode);
        Assert.Equal(1, zero.ExitCode);
        Assert.Equal("brummer: 'minutes' must be more than 0 and at most 1440 (24 h); got 0. Claim again to extend your claim.", zero.Output);
        Assert.Equal(0, run.ExitCode);
        Assert.StartsWith("web on solo: released (claimed by ", released.Output, StringComparison.Ordinal);
        Assert.Contains(
            (await fixture.CliAsync("audit", "--node", "solo")).Output.Split('\n'),
            line => line.TrimEnd().EndsWith($"{RecordVerbFixture.Me}  stop  solo/web  ok (forced over kim@other-box's claim)", StringComparison.Ordinal));
    }
}
