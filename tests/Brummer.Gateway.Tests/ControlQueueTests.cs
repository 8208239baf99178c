using System.Net;
using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Gateway.Tests;

/// <summary>
/// A control call refused because the gateway's control lane was full never takes effect later: it never reached the
/// node. The lane is filled for real — as many stops as it has permits, each of a tree that ignores SIGTERM, so it
/// holds its permit for the whole stop timeout (10 s) — and a run asked meanwhile with a three-second time limit (half of
/// which it may spend waiting for a permit) gets a 503.
/// </summary>
public sealed class ControlQueueTests
{
    /// <summary>The control lane's permits (Traffic/RequestLanes.cs): this many stops fill it.</summary>
    private static readonly int Permits = Math.Max(4, Environment.ProcessorCount * 4);

    [Fact]
    public async Task Run_RefusedBecauseTheControlLaneIsFull_NeverRunsLater()
    {
        var stubborn = Enumerable.Range(0, Permits).ToDictionary(i => $"stubborn{i}", i => Dummy.Command("ignore-sigterm", $"say:stubborn{i} up", "sleep"));
        await using var gateway = await GatewayUnderTest.StartAsync(
            withTokens: false, controlTimeout: TimeSpan.FromSeconds(3), moreScripts: stubborn, stopTimeout: TimeSpan.FromSeconds(10));
        foreach (var name in stubborn.Keys)
        {
            using var run = await gateway.SendAsync(gateway.Request(HttpMethod.Post, $"/api/processes/{name}/run"));
            Assert.Equal(HttpStatusCode.OK, run.StatusCode);
        }

        foreach (var name in stubborn.Keys)
        {
            // Its SIGTERM handler is in place once it says so; before that, a SIGTERM would end it at once.
            // A line of its own, not npm's echo of the command (which holds the same words before the handler exists).
            await Eventually.UntilAsync(
                () => gateway.Http.GetStringAsync(new Uri($"/api/logs/{name}", UriKind.Relative), TestContext.Current.CancellationToken),
                body => JsonDocument.Parse(body).RootElement.GetProperty("lines").EnumerateArray().Any(l => l.GetProperty("text").GetString() == $"{name} up"),
                $"{name} to say it is up");
        }

        var stops = stubborn.Keys.Select(name => gateway.SendAsync(gateway.Request(HttpMethod.Post, $"/api/processes/{name}/stop"))).ToList();
        await Eventually.UntilAsync(
            () => StatusesAsync(gateway),
            s => stubborn.Keys.All(name => s.GetValueOrDefault(name) == "stopping"),
            "every stop to have begun (each holds a control permit until its tree is gone)");

        using var refused = await gateway.SendAsync(gateway.Request(HttpMethod.Post, "/api/processes/victim/run"));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.Contains("was not carried out", await BrowserSafetyTests.Detail(refused), StringComparison.Ordinal);
        foreach (var stop in stops)
        {
            using var stopped = await stop;
            Assert.Equal(HttpStatusCode.OK, stopped.StatusCode);
        }

        // The lane is free again and the refused run never happened: the next run is the one that starts victim.
        Assert.Null((await StatusesAsync(gateway)).GetValueOrDefault("victim"));
        using var again = await gateway.SendAsync(gateway.Request(HttpMethod.Post, "/api/processes/victim/run"));
        Assert.Equal(HttpStatusCode.OK, again.StatusCode);
        var body = JsonDocument.Parse(await again.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement;
        Assert.False(body.GetProperty("already_running").GetBoolean(), "the run refused with 503 took effect later");
    }

    private static async Task<Dictionary<string, string>> StatusesAsync(GatewayUnderTest gateway)
    {
        var body = await gateway.Http.GetStringAsync(new Uri("/api/processes", UriKind.Relative), TestContext.Current.CancellationToken);
        return JsonDocument.Parse(body).RootElement.GetProperty("processes").EnumerateArray()
            .ToDictionary(p => p.GetProperty("name").GetString()!, p => p.GetProperty("status").GetString()!);
    }
}
