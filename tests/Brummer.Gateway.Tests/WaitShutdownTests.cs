using System.Net;
using System.Text.Json;
using Brummer.Gateway.Waiting;
using Brummer.Tests;
using Microsoft.Extensions.DependencyInjection;

namespace Brummer.Gateway.Tests;

/// <summary>A gateway told to stop while an agent waits on it answers the wait and stops, instead of letting the wait hold up its shutdown.</summary>
public sealed class WaitShutdownTests
{
    [Fact]
    public async Task Stop_WhileAWaitIsParked_AnswersTheWait503AndStops()
    {
        var gateway = await GatewayUnderTest.StartAsync(withTokens: false);
        using var client = new HttpClient { BaseAddress = gateway.BaseUrl, Timeout = TimeSpan.FromMinutes(5) };
        var waits = gateway.Services.GetRequiredService<WaitService>();
        var waiting = client.GetAsync(new Uri("/api/processes/victim/wait?for=running&timeout=600", UriKind.Relative), TestContext.Current.CancellationToken);
        await Eventually.UntilAsync(() => waits.Waiting == 1, "the wait to be parked");

        await gateway.DisposeAsync();

        // Had the wait held on, the host would have cut the connection after its shutdown timeout instead of answering.
        using var answer = await waiting;
        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.StatusCode);
        var detail = JsonDocument.Parse(await answer.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)).RootElement.GetProperty("detail").GetString();
        Assert.Equal($"The gateway is stopping: 'victim' on node '{GatewayUnderTest.Node}' is not running and is no longer waited for.", detail);
    }
}
