using System.Net;
using System.Net.Http.Json;
using System.Text.Json;

namespace Brummer.Gateway.Tests;

[Collection(ClusterTests.Name)]
public sealed class JsonApiTests(ClusterFixture cluster)
{
    [Fact]
    public async Task Api_RunStatusStop_MatchesTheMcpContract()
    {
        var ct = TestContext.Current.CancellationToken;
        using var run = await cluster.Http.PostAsync(new Uri($"/api/processes/{ClusterFixture.Node}/churn17/run", UriKind.Relative), null, ct);
        Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        var started = await run.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("running", started.GetProperty("process").GetProperty("status").GetString());
        Assert.False(started.GetProperty("already_running").GetBoolean());

        var status = await cluster.Http.GetFromJsonAsync<JsonElement>(new Uri("/api/processes?name=churn17", UriKind.Relative), ct);
        Assert.Equal("running", status.GetProperty("processes")[0].GetProperty("status").GetString());

        using var stop = await cluster.Http.PostAsync(new Uri("/api/processes/churn17/stop", UriKind.Relative), null, ct);
        var stopped = await stop.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Equal("stopped", stopped.GetProperty("process").GetProperty("status").GetString());
    }

    [Fact]
    public async Task Api_ScriptsAndNodesAndHealth_Answer()
    {
        var ct = TestContext.Current.CancellationToken;
        var scripts = await cluster.Http.GetFromJsonAsync<JsonElement>(new Uri("/api/scripts", UriKind.Relative), ct);
        var nodes = await cluster.Http.GetFromJsonAsync<JsonElement>(new Uri("/api/nodes", UriKind.Relative), ct);
        var health = await cluster.Http.GetFromJsonAsync<JsonElement>(new Uri("/healthz", UriKind.Relative), ct);

        Assert.Contains(scripts.GetProperty("scripts").EnumerateArray(), s => s.GetProperty("name").GetString() == "web");
        Assert.Equal(ClusterFixture.Node, nodes.GetProperty("nodes")[0].GetProperty("name").GetString());
        Assert.Equal("ok", health.GetProperty("status").GetString());
    }

    [Theory]
    [InlineData("/api/processes/node-a/nope/run", HttpStatusCode.NotFound, "Unknown script 'nope'")]
    [InlineData("/api/processes/elsewhere/web/run", HttpStatusCode.NotFound, "Unknown node 'elsewhere'")]
    [InlineData("/api/processes/node-a/web/explode", HttpStatusCode.NotFound, "Unknown action 'explode'")]
    public async Task Api_BadRequests_AreClearErrorsThatChangeNothing(string path, HttpStatusCode expected, string message)
    {
        var ct = TestContext.Current.CancellationToken;
        var before = await cluster.Http.GetStringAsync(new Uri("/api/processes?name=web", UriKind.Relative), ct);

        using var response = await cluster.Http.PostAsync(new Uri(path, UriKind.Relative), null, ct);

        Assert.Equal(expected, response.StatusCode);
        var error = await response.Content.ReadFromJsonAsync<JsonElement>(ct);
        Assert.Contains(message, error.GetProperty("detail").GetString(), StringComparison.Ordinal);
        var after = await cluster.Http.GetStringAsync(new Uri("/api/processes?name=web", UriKind.Relative), ct);
        Assert.Equal(JsonDocument.Parse(before).RootElement.GetProperty("processes").GetRawText(), JsonDocument.Parse(after).RootElement.GetProperty("processes").GetRawText());
    }
}
