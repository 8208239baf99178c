using System.Text;
using System.Threading.Channels;
using Brummer.Gateway.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Brummer.Gateway.Events;

/// <summary>
/// The long-lived <c>text/event-stream</c> responses (<c>/api/events</c> and the MCP notification stream): set up
/// unbuffered, then written from a channel with a comment line every heartbeat of quiet, so proxies and clients with
/// read timeouts keep the connection, and ended as soon as the caller's token is revoked.
/// </summary>
internal static class ServerSentEvents
{
    private static readonly byte[] Heartbeat = Encoding.UTF8.GetBytes(": heartbeat\n\n");

    /// <summary>Makes the response an event stream passed on at once (no buffering here or in nginx); returns its body.</summary>
    public static Stream Open(HttpContext context)
    {
        var response = context.Response;
        response.StatusCode = StatusCodes.Status200OK;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        context.Features.Get<IHttpResponseBodyFeature>()?.DisableBuffering();
        return response.Body;
    }

    /// <summary>
    /// Writes every item of <paramref name="items"/> with <paramref name="write"/>, flushing after each batch, until the
    /// channel completes (<see cref="StreamEnd.Completed"/>) or the caller's token is revoked
    /// (<see cref="StreamEnd.Revoked"/>); a cancelled <paramref name="cancellationToken"/> throws.
    /// </summary>
    /// <param name="flushed">Called after each flush: the client is still reading.</param>
    public static async Task<StreamEnd> PumpAsync<T>(
        HttpContext context,
        ChannelReader<T> items,
        Func<T, Stream, CancellationToken, ValueTask> write,
        TimeSpan heartbeat,
        Action? flushed,
        CancellationToken cancellationToken)
    {
        var body = context.Response.Body;
        while (true)
        {
            if (await StreamAccess.EndIfRevokedAsync(context, cancellationToken))
            {
                return StreamEnd.Revoked;
            }

            while (items.TryRead(out var item))
            {
                await write(item, body, cancellationToken);
            }

            await body.FlushAsync(cancellationToken);
            flushed?.Invoke();
            using var quiet = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            quiet.CancelAfter(heartbeat);
            try
            {
                if (!await items.WaitToReadAsync(quiet.Token))
                {
                    return StreamEnd.Completed;
                }
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                await body.WriteAsync(Heartbeat, cancellationToken);
            }
        }
    }
}

/// <summary>Why <see cref="ServerSentEvents.PumpAsync"/> returned.</summary>
internal enum StreamEnd
{
    /// <summary>The channel completed (its subscriber was dropped, or the source ended).</summary>
    Completed,

    /// <summary>The caller's token was revoked; the stream said so and ends.</summary>
    Revoked,
}
