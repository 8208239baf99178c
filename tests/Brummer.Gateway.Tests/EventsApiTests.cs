using System.Collections.Concurrent;
using System.Collections.Immutable;
using System.Net;
using System.Net.Http.Headers;
using System.Text.Json;
using Brummer.Gateway.Events;
using Brummer.Gateway.Security;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;
using Brummer.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brummer.Gateway.Tests;

/// <summary>A gateway with tokens and scripts of its own for the event stream.</summary>
public sealed class EventsGatewayFixture : IAsyncLifetime
{
    public GatewayUnderTest Gateway { get; private set; } = null!;

    public async ValueTask InitializeAsync() => Gateway = await GatewayUnderTest.StartAsync(
        withTokens: true,
        moreScripts: new Dictionary<string, string>
        {
            ["server"] = Dummy.Command("say:server listening", "sleep"),
            ["later"] = Dummy.Command("say:later done", "exit:0"),
            ["broken"] = Dummy.Command("err:TypeError: Cannot read properties of undefined (reading 'port')", "err:    at start (/app/server.js:12:7)", "err:    at main (/app/index.js:3:1)", "say:still up", "sleep"),
        });

    public ValueTask DisposeAsync() => Gateway.DisposeAsync();
}

/// <summary>/api/events: what changes arrives as it changes, over one long response, resumable, with read tokens.</summary>
public sealed class EventsApiTests(EventsGatewayFixture fixture) : IClassFixture<EventsGatewayFixture>
{
    private GatewayUnderTest Gateway => fixture.Gateway;

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task Events_ProcessIsRun_ItsStateChangeArrivesOnTheOpenStream()
    {
        await using var stream = await EventReader.OpenAsync(Gateway, Gateway.Tokens[GatewayRole.Read]);
        await stream.UntilAsync(e => e.Type == "reset", "the opening reset");

        await RunAsync("server");

        var running = await stream.UntilAsync(e => e.Type == "process" && e.Name == "server" && e.Status == "running", "server running on the stream");
        Assert.Equal(GatewayUnderTest.Node, running.Data.GetProperty("node").GetString());
        Assert.True(running.Data.GetProperty("pid").GetInt32() > 0);
        await stream.UntilAsync(e => e.Type == "node" && e.Data.GetProperty("processes").TryGetProperty("running", out _), "the node's counts with a running process");

        await ControlAsync("server", "stop");
        await stream.UntilAsync(e => e.Type == "process" && e.Name == "server" && e.Status == "stopped", "server stopped on the stream");
    }

    [Fact]
    public async Task Events_NewStream_StartsWithTheWholePicture()
    {
        await RunAsync("later");
        await Eventually.UntilAsync(() => ProcessStatusAsync("later"), s => s == "succeeded", "later succeeded");

        await using var stream = await EventReader.OpenAsync(Gateway, Gateway.Tokens[GatewayRole.Read]);

        var reset = await stream.UntilAsync(e => e.Type == "reset", "the opening reset");
        Assert.Equal("new", reset.Data.GetProperty("reason").GetString());
        await stream.UntilAsync(e => e.Type == "node" && e.Data.GetProperty("name").GetString() == GatewayUnderTest.Node, "the node");
        await stream.UntilAsync(e => e.Type == "process" && e.Name == "later" && e.Status == "succeeded", "later as it is now");
    }

    [Fact]
    public async Task Events_ReconnectWithLastEventId_ResumesWithoutAReset()
    {
        string lastId;
        await using (var first = await EventReader.OpenAsync(Gateway, Gateway.Tokens[GatewayRole.Read]))
        {
            lastId = (await first.UntilAsync(e => e.Type == "reset", "the opening reset")).Id;
        }

        await RunAsync("quick");

        await using var resumed = await EventReader.OpenAsync(Gateway, Gateway.Tokens[GatewayRole.Read], lastEventId: lastId);
        var quick = await resumed.UntilAsync(e => e.Type == "process" && e.Name == "quick", "quick's change since the last id");
        Assert.DoesNotContain(resumed.Seen, e => e.Type == "reset");
        Assert.NotEqual(lastId, quick.Id);

        await using var fromQuery = await EventReader.OpenAsync(Gateway, Gateway.Tokens[GatewayRole.Read], query: $"?since={Uri.EscapeDataString(lastId)}");
        await fromQuery.UntilAsync(e => e.Type == "process" && e.Name == "quick", "quick's change since the id given as since=");
        Assert.DoesNotContain(fromQuery.Seen, e => e.Type == "reset");
    }

    [Fact]
    public async Task Events_UnknownLastEventId_StartsOverWithAReset()
    {
        await using var stream = await EventReader.OpenAsync(Gateway, Gateway.Tokens[GatewayRole.Read], lastEventId: "0123abcd-5");

        var reset = await stream.UntilAsync(e => e.Type == "reset", "a reset");
        Assert.Equal("unknown", reset.Data.GetProperty("reason").GetString());
    }

    [Fact]
    public async Task Events_ProcessPrintsAStackTrace_ErrorEventArrives()
    {
        await using var stream = await EventReader.OpenAsync(Gateway, Gateway.Tokens[GatewayRole.Read]);
        await stream.UntilAsync(e => e.Type == "reset", "the opening reset");

        await RunAsync("broken");

        var error = await stream.UntilAsync(e => e.Type == "error" && e.Name == "broken", "an error event for broken");
        Assert.True(error.Data.GetProperty("error_count").GetInt32() >= 1);
        Assert.True(error.Data.GetProperty("new_errors").GetInt32() >= 1);
        await ControlAsync("broken", "stop");
    }

    [Theory]
    [InlineData(null, HttpStatusCode.Unauthorized)]
    [InlineData("not-a-token", HttpStatusCode.Unauthorized)]
    public async Task Events_WithoutAValidToken_IsRefused(string? token, HttpStatusCode expected)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/api/events", token));
        Assert.Equal(expected, response.StatusCode);
    }

    [Fact]
    public async Task Events_FromAnotherOrigin_IsRefused()
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/api/events", Gateway.Tokens[GatewayRole.Read], origin: "https://evil.example"));
        Assert.Equal(HttpStatusCode.Forbidden, response.StatusCode);
    }

    [Fact]
    public async Task Events_TokenRevokedWhileItsStreamIsOpen_TheStreamEnds()
    {
        var watcher = await Gateway.CreateTokenAsync("watcher", GatewayRole.Read);
        await using var stream = await EventReader.OpenAsync(Gateway, watcher);
        await stream.UntilAsync(e => e.Type == "reset", "the opening reset");

        Assert.True(TokenFile.Revoke(Gateway.TokenFile!, "watcher"));

        // Each run of quick makes events the stream would carry; it must end instead of carrying them.
        await Eventually.UntilAsync(
            async () =>
            {
                await RunAsync("quick");
                return stream.Ended;
            },
            ended => ended,
            "the revoked token's stream to end");
        using var again = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, "/api/events", watcher));
        Assert.Equal(HttpStatusCode.Unauthorized, again.StatusCode);
    }

    private async Task RunAsync(string name) => await ControlAsync(name, "run");

    private async Task ControlAsync(string name, string action)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Post, $"/api/processes/{name}/{action}", Gateway.Tokens[GatewayRole.Operate]));
        Assert.True(response.IsSuccessStatusCode, $"{action} {name}: {(int)response.StatusCode} {await response.Content.ReadAsStringAsync(Ct)}");
    }

    private async Task<string?> ProcessStatusAsync(string name)
    {
        using var response = await Gateway.SendAsync(Gateway.Request(HttpMethod.Get, $"/api/processes?name={name}", Gateway.Tokens[GatewayRole.Read]));
        var body = JsonDocument.Parse(await response.Content.ReadAsStringAsync(Ct)).RootElement;
        return body.GetProperty("processes").EnumerateArray().Select(p => p.GetProperty("status").GetString()).SingleOrDefault();
    }
}

/// <summary>The feed itself, on a status cache fed by hand: a subscriber that never reads is dropped, the others get everything.</summary>
public sealed class ClusterEventFeedTests
{
    private static readonly ImmutableArray<ScriptInfo> Scripts = [.. Enumerable.Range(0, 50).Select(i => new ScriptInfo("n1", $"p{i:00}", "x", "test"))];

    [Fact]
    public async Task Feed_SubscriberThatNeverReads_IsDroppedWhileAReadingOneGetsEveryEvent()
    {
        var cache = new ClusterStatusCache(TimeProvider.System);
        using var feed = new ClusterEventFeed(cache, TimeProvider.System, NullLogger<ClusterEventFeed>.Instance);
        await feed.StartAsync(TestContext.Current.CancellationToken);
        using var slow = feed.Subscribe(null);
        using var reader = feed.Subscribe(null);
        var received = new ConcurrentBag<long>();
        var reading = Task.Run(async () =>
        {
            await foreach (var item in reader.Events.ReadAllAsync(TestContext.Current.CancellationToken))
            {
                received.Add(item.Sequence);
            }
        }, TestContext.Current.CancellationToken);

        // 30 views of 50 changed processes: more than a subscriber may have waiting.
        for (var version = 1; version <= 30; version++)
        {
            var before = feed.Current.Sequence;
            cache.Apply(new NodeSnapshot("n1", "127.0.0.1:1", version, DateTimeOffset.UtcNow, Scripts,
                [.. Scripts.Select(s => new ProcessInfo("n1", s.Name, ProcessStatus.Running, 100, null, null, null, version, null, null, version))], Incarnation: 1));
            await Eventually.UntilAsync(() => feed.Current.Sequence > before, $"view {version} published");
        }

        var published = feed.Current.Sequence;
        Assert.True(published > ClusterEventFeed.SubscriberBuffer, $"only {published} events");
        Assert.True(slow.Dropped);
        await Eventually.UntilAsync(() => !received.IsEmpty && received.Max() == published, "the reading subscriber got the last event");
        Assert.False(reader.Dropped);
        await feed.StopAsync(TestContext.Current.CancellationToken);
        await reading;
    }
}

/// <summary>Reads a text/event-stream response in the background, as a browser's EventSource would.</summary>
internal sealed class EventReader : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly CancellationTokenSource _stop = new();
    private readonly ConcurrentQueue<ServerEvent> _seen = new();
    private readonly Task _reading;

    private EventReader(HttpResponseMessage response)
    {
        _response = response;
        _reading = Task.Run(ReadAsync);
    }

    public IReadOnlyCollection<ServerEvent> Seen => [.. _seen];

    /// <summary>The gateway ended the stream (or the connection broke).</summary>
    public bool Ended => _reading.IsCompleted;

    public static async Task<EventReader> OpenAsync(GatewayUnderTest gateway, string token, string? lastEventId = null, string query = "")
    {
        var request = gateway.Request(HttpMethod.Get, "/api/events" + query, token);
        request.Headers.Accept.Add(new MediaTypeWithQualityHeaderValue("text/event-stream"));
        if (lastEventId is not null)
        {
            request.Headers.TryAddWithoutValidation("Last-Event-ID", lastEventId);
        }

        var response = await gateway.Http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("text/event-stream", response.Content.Headers.ContentType?.MediaType);
        return new EventReader(response);
    }

    public async Task<ServerEvent> UntilAsync(Func<ServerEvent, bool> match, string what)
    {
        ServerEvent? found = null;
        await Eventually.UntilAsync(() => (found = _seen.FirstOrDefault(match)) is not null, what);
        return found!;
    }

    private async Task ReadAsync()
    {
        try
        {
            using var reader = new StreamReader(await _response.Content.ReadAsStreamAsync(_stop.Token));
            string? id = null, type = null, data = null;
            while (await reader.ReadLineAsync(_stop.Token) is { } line)
            {
                if (line.Length == 0)
                {
                    if (type is not null && data is not null)
                    {
                        _seen.Enqueue(new ServerEvent(id ?? string.Empty, type, JsonDocument.Parse(data).RootElement.Clone()));
                    }

                    (id, type, data) = (null, null, null);
                }
                else if (line.StartsWith("id: ", StringComparison.Ordinal))
                {
                    id = line[4..];
                }
                else if (line.StartsWith("event: ", StringComparison.Ordinal))
                {
                    type = line[7..];
                }
                else if (line.StartsWith("data: ", StringComparison.Ordinal))
                {
                    data = line[6..];
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (IOException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        _response.Dispose();
        await _reading;
        _stop.Dispose();
    }
}

internal sealed record ServerEvent(string Id, string Type, JsonElement Data)
{
    public string? Name => Data.TryGetProperty("name", out var name) ? name.GetString() : null;

    public string? Status => Data.TryGetProperty("status", out var status) ? status.GetString() : null;
}
