using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Gateway.Tests;

/// <summary>scripts_status and GET /api/processes narrowed by status and changed_since, through the official MCP client and HTTP.</summary>
[Collection(ClusterTests.Name)]
public sealed class StatusFilterToolTests(ClusterFixture cluster)
{
    private static string[] Names(JsonElement result) =>
        [.. result.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("name").GetString()!)];

    [Fact]
    public async Task ScriptsStatus_ChangedSince_ReturnsOnlyWhatChangedAfterTheEarlierAnswer()
    {
        // A process that prints nothing: once running, nothing about it changes by itself.
        await cluster.CallAsync("scripts_run", new { name = "churn06" });
        await cluster.CallAsync("wait_for", new { name = "churn06", condition = "running" });
        var before = await cluster.CallAsync("scripts_status");

        await cluster.CallAsync("scripts_run", new { name = "churn05" });
        var changed = await cluster.CallAsync("scripts_status", new { changed_since = before.GetProperty("cursor").GetString() });
        var text = McpCalls.Text(await cluster.CallRawAsync("scripts_status", new { changed_since = changed.GetProperty("cursor").GetString() }));

        Assert.Contains("churn06", Names(before));
        Assert.Contains("churn05", Names(changed));
        Assert.DoesNotContain("churn06", Names(changed));
        Assert.NotEqual(before.GetProperty("cursor").GetString(), changed.GetProperty("cursor").GetString());
        Assert.Contains("; cursor ", text, StringComparison.Ordinal);
        await cluster.CallAsync("scripts_stop", new { name = "churn05" });
        await cluster.CallAsync("scripts_stop", new { name = "churn06" });
    }

    [Fact]
    public async Task ScriptsStatus_Status_KeepsOnlyThoseStatuses_OverMcpAndHttp()
    {
        await cluster.CallAsync("scripts_run", new { name = "bad" });
        await cluster.CallAsync("wait_for", new { name = "bad", condition = "failed" });

        var failed = await cluster.CallAsync("scripts_status", new { status = "failed" });
        var notRunning = await cluster.CallAsync("scripts_status", new { status = "!running" });
        using var http = await cluster.Http.GetAsync(new Uri("api/processes?status=failed", UriKind.Relative), TestContext.Current.CancellationToken);
        var overHttp = JsonDocument.Parse(await http.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        var error = await cluster.CallErrorAsync("scripts_status", new { status = "crashed" });

        Assert.Contains("bad", Names(failed));
        Assert.All(failed.GetProperty("processes").EnumerateArray(), p => Assert.Equal("failed", p.GetProperty("status").GetString()));
        Assert.All(notRunning.GetProperty("processes").EnumerateArray(), p => Assert.NotEqual("running", p.GetProperty("status").GetString()));
        Assert.Equal(Names(failed), Names(overHttp));
        Assert.StartsWith("'status' takes process statuses separated by commas", error, StringComparison.Ordinal);
    }
}
