using System.Collections.Concurrent;
using Brummer.Gateway.Contracts;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

// MCP logging (logging/setLevel, notifications/message) is deprecated from the 2026-07-28 revision on, but it is how the
// clients of the initialize handshake (most of them today) are told of exits and errors: kept until they move on.
#pragma warning disable MCP9005

namespace Brummer.Gateway.Events;

/// <summary>
/// What each MCP session asked to be told, and the telling. A session that subscribed to a log resource gets
/// <c>notifications/resources/updated</c> when that process prints (at most one per <see cref="UpdateInterval"/> per
/// resource: a chatty build must not flood an agent); a session that set a logging level or subscribed to anything
/// gets a <c>notifications/message</c> when a process exits or prints new errors. Fed by the <see cref="ClusterEventFeed"/>
/// like any event client; sessions that are gone are forgotten at their first failed send.
/// </summary>
internal sealed class McpSessions(ClusterEventFeed feed, TimeProvider time, ILogger<McpSessions> logger) : BackgroundService
{
    public static readonly TimeSpan UpdateInterval = TimeSpan.FromSeconds(1);

    private readonly ConcurrentDictionary<McpServer, Interest> _sessions = new();

    public ValueTask<EmptyResult> SubscribeAsync(RequestContext<SubscribeRequestParams> request, CancellationToken cancellationToken)
    {
        var uri = request.Params?.Uri;
        if (!LogResources.TryParse(uri, out _, out _))
        {
            throw new ModelContextProtocol.McpException($"Unknown resource {InputText.Quote(uri)}: log resources are {LogResources.Template}; resources/list has every one.");
        }

        InterestOf(request.Server).Resources[uri!] = 0;
        return ValueTask.FromResult(new EmptyResult());
    }

    public ValueTask<EmptyResult> UnsubscribeAsync(RequestContext<UnsubscribeRequestParams> request, CancellationToken cancellationToken)
    {
        if (request.Params?.Uri is { } uri && _sessions.TryGetValue(request.Server, out var interest))
        {
            interest.Resources.TryRemove(uri, out _);
        }

        return ValueTask.FromResult(new EmptyResult());
    }

    public ValueTask<EmptyResult> SetLevelAsync(RequestContext<SetLevelRequestParams> request, CancellationToken cancellationToken)
    {
        InterestOf(request.Server).Level = request.Params?.Level ?? LoggingLevel.Info;
        return ValueTask.FromResult(new EmptyResult());
    }

    private Interest InterestOf(McpServer server) => _sessions.GetOrAdd(server, _ => new Interest());

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? after = null;
        while (!stoppingToken.IsCancellationRequested)
        {
            // The first subscription opens with the whole picture (a reset): nothing in it is news.
            // After a drop it resumes; if that is no longer possible, the picture that follows a reset is not news either.
            using var subscription = feed.Subscribe(after ?? feed.Current.ToString());
            long? picture = null;
            try
            {
                await foreach (var item in subscription.Events.ReadAllAsync(stoppingToken))
                {
                    after = item.Cursor.ToString();
                    if (item.Type == "reset")
                    {
                        picture = item.Sequence;
                    }
                    else if (item.Sequence != picture && !_sessions.IsEmpty)
                    {
                        await TellAsync(item);
                    }
                }
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    private async Task TellAsync(ClusterEvent item)
    {
        switch (item.Data)
        {
            case ProcessDto process:
                await ResourceUpdatedAsync(LogResources.UriOf(process.Node, process.Name));
                if (process.Status is "succeeded" or "failed" or "stopped" && process.ExitedAt is not null)
                {
                    var failed = process.Status == "failed";
                    var what = process.ExitCode is { } code ? $"exited with code {code}" : process.Reason ?? "ended";
                    await MessageAsync(
                        failed ? LoggingLevel.Error : LoggingLevel.Info,
                        $"{process.Name} on {process.Node} {process.Status}: {what}." + (failed ? $" Its output: logs_tail name={process.Name} node={process.Node}; errors: errors_list." : string.Empty),
                        process);
                }

                break;
            case ErrorEventDto error:
                await MessageAsync(
                    LoggingLevel.Error,
                    $"{error.Name} on {error.Node} printed {error.NewErrors} new error(s) ({error.ErrorCount} so far); errors_list name={error.Name} node={error.Node} shows them.",
                    error);
                break;
        }
    }

    private async Task ResourceUpdatedAsync(string uri)
    {
        var now = time.GetUtcNow();
        foreach (var (server, interest) in _sessions)
        {
            if (!interest.Resources.TryGetValue(uri, out var last))
            {
                continue;
            }

            var due = new DateTimeOffset(last, TimeSpan.Zero) + UpdateInterval;
            if (now >= due)
            {
                interest.Resources[uri] = now.UtcTicks;
                await SendAsync(server, NotificationMethods.ResourceUpdatedNotification, new ResourceUpdatedNotificationParams { Uri = uri });
            }
            else if (interest.Trailing.TryAdd(uri, 0))
            {
                // Within the interval: one more notification at its end covers every line until then.
                _ = Task.Run(async () =>
                {
                    await Task.Delay(due - now, time);
                    interest.Trailing.TryRemove(uri, out _);
                    if (interest.Resources.ContainsKey(uri))
                    {
                        interest.Resources[uri] = time.GetUtcNow().UtcTicks;
                        await SendAsync(server, NotificationMethods.ResourceUpdatedNotification, new ResourceUpdatedNotificationParams { Uri = uri });
                    }
                });
            }
        }
    }

    private async Task MessageAsync(LoggingLevel level, string message, object data)
    {
        foreach (var (server, interest) in _sessions)
        {
            // A session that only subscribed still hears of exits and errors; one that set a level hears what reaches it.
            if (level >= (interest.Level ?? LoggingLevel.Info))
            {
                await SendAsync(server, NotificationMethods.LoggingMessageNotification, new LoggingMessageNotificationParams
                {
                    Level = level,
                    Logger = "brummer",
                    Data = System.Text.Json.JsonSerializer.SerializeToElement(new { message, @event = data }, System.Text.Json.JsonSerializerOptions.Web),
                });
            }
        }
    }

    private async Task SendAsync<T>(McpServer server, string method, T parameters)
    {
        try
        {
            await server.SendNotificationAsync(method, parameters, cancellationToken: CancellationToken.None);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The session ended (or its client went away): it hears nothing more.
            _sessions.TryRemove(server, out _);
            logger.LogDebug(ex, "Forgot an MCP session that could not be sent {Method}", method);
        }
    }

    private sealed class Interest
    {
        /// <summary>Subscribed log resources, with when each was last notified (UTC ticks).</summary>
        public ConcurrentDictionary<string, long> Resources { get; } = new(StringComparer.Ordinal);

        /// <summary>Resources with a notification scheduled at the end of their interval.</summary>
        public ConcurrentDictionary<string, byte> Trailing { get; } = new(StringComparer.Ordinal);

        /// <summary>The level set with logging/setLevel; null: not set (info is assumed for a subscriber).</summary>
        public LoggingLevel? Level { get; set; }
    }
}
