using System.Text;
using Brummer.Gateway.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;

namespace Brummer.Gateway.Events;

/// <summary>
/// Writes a subscription as <c>text/event-stream</c>: each event with its id (what <c>Last-Event-ID</c> resumes from),
/// a comment line every heartbeat while nothing happens, and the end of the stream when the subscriber fell behind
/// (browsers' EventSource reconnect on their own, with the last id they saw).
/// </summary>
internal static class EventStream
{
    private static readonly byte[] Heartbeat = Encoding.UTF8.GetBytes(": heartbeat\n\n");

    // Browsers wait this long before reconnecting after the stream ends.
    private static readonly byte[] Opening = Encoding.UTF8.GetBytes("retry: 1000\n: brummer events\n\n");

    public static async Task WriteAsync(HttpContext context, ClusterEventFeed feed, string? since, TimeSpan heartbeat, ILogger logger, CancellationToken cancellationToken)
    {
        // The standard header wins over the query parameter: it is what a reconnecting EventSource sends.
        var after = context.Request.Headers["Last-Event-ID"].ToString() is { Length: > 0 } header ? header : since;
        using var subscription = feed.Subscribe(after);
        var response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no"; // nginx: pass each event on at once
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        var body = response.Body;
        await body.WriteAsync(Opening, cancellationToken);
        var events = subscription.Events;
        try
        {
            while (true)
            {
                if (await StreamAccess.EndIfRevokedAsync(context, cancellationToken))
                {
                    logger.LogInformation("Ended an event stream: its token was revoked");
                    return;
                }

                while (events.TryRead(out var item))
                {
                    await body.WriteAsync(item.Frame, cancellationToken);
                }

                await body.FlushAsync(cancellationToken);
                using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                quiet.CancelAfter(heartbeat);
                try
                {
                    if (!await events.WaitToReadAsync(quiet.Token))
                    {
                        break;
                    }
                }
                catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
                {
                    await body.WriteAsync(Heartbeat, cancellationToken);
                }
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
