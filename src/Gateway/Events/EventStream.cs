using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace Brummer.Gateway.Events;

/// <summary>
/// Writes a subscription as <c>text/event-stream</c>: each event with its id (what <c>Last-Event-ID</c> resumes from),
/// a comment line every heartbeat while nothing happens, and the end of the stream when the subscriber fell behind
/// (browsers' EventSource reconnect on their own, with the last id they saw).
/// </summary>
internal static class EventStream
{
    // Browsers wait this long before reconnecting after the stream ends.
    private static readonly byte[] Opening = Encoding.UTF8.GetBytes("retry: 1000\n: brummer events\n\n");

    public static async Task WriteAsync(HttpContext context, ClusterEventFeed feed, string? since, TimeSpan heartbeat, ILogger logger, CancellationToken cancellationToken)
    {
        // The standard header wins over the query parameter: it is what a reconnecting EventSource sends.
        var after = context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header ? header : since;
        using var subscription = feed.Subscribe(after);
        var body = ServerSentEvents.Open(context);
        await body.WriteAsync(Opening, cancellationToken);
        try
        {
            var end = await ServerSentEvents.PumpAsync(
                context, subscription.Events, static (item, stream, ct) => stream.WriteAsync(item.Frame, ct), heartbeat, flushed: null, cancellationToken);
            if (end == StreamEnd.Revoked)
            {
                logger.LogInformation("Ended an event stream: its token was revoked");
                return;
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return; // The client went away.
        }

        if (subscription.Dropped)
        {
            logger.LogInformation("Ended an event stream whose client read too slowly; it resumes from its last event id when it reconnects");
        }
    }
}
