using System.Globalization;
using System.Text;
using Brummer.Gateway.Events;
using Brummer.Gateway.Security;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Traffic;

/// <summary>
/// Notification sessions beside the stateless MCP endpoint. The SDK answers every request on its own HTTP request
/// (raw JSON-RPC POSTs need no handshake, a cancelled call ends with its request); this adds what notifications need
/// and nothing more:
/// <list type="bullet">
/// <item>a successful <c>initialize</c> gets an <c>Mcp-Session-Id</c> (bound to the caller's token), which the
/// official clients then send on every request;</item>
/// <item>a request carrying a known id is marked with its <see cref="NotificationSession"/> (what
/// <c>resources/subscribe</c> and <c>logging/setLevel</c> record into) and handed to the SDK without the header, which
/// the stateless SDK would refuse. An id this gateway does not know but could have made (it was restarted, or the
/// session expired) is taken up again for the caller's token, so a restart does not cut every client off (the
/// official clients close themselves on a 404); another token's id, or a malformed one, is a 404;</item>
/// <item><c>GET /mcp</c> with the id is the session's stream of server-sent JSON-RPC notifications, <c>DELETE /mcp</c>
/// ends the session; without an id both are left to the SDK (405).</item>
/// </list>
/// Placed before the <see cref="LaneGate"/>: a stream is long and cheap, and is bounded by the session count (one
/// stream per session) rather than by a lane.
/// </summary>
internal sealed class McpSessionEndpoint(
    RequestDelegate next,
    NotificationSessions sessions,
    IAuthorizationService authorization,
    IOptions<GatewayOptions> options,
    IHostApplicationLifetime lifetime,
    TimeProvider time,
    ILogger<McpSessionEndpoint> logger)
{
    public const string Header = "Mcp-Session-Id";

    // The official clients reopen a stream that ends only once they have seen an event id (the C# client) or always
    // (the TypeScript one), so the stream opens with an id and no data, which both skip; every notification has one too.
    private static readonly byte[] Opening = Encoding.UTF8.GetBytes(": brummer notifications\nretry: 1000\nid: 0\ndata: \n\n");

    public async Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        var ids = request.Headers[Header];
        var id = ids.Count == 1 ? ids[0] : null;
        if (ids.Count > 1 || (ids.Count == 1 && string.IsNullOrEmpty(id)))
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, $"Send one {Header} header, with the id the initialize response carried.");
            return;
        }

        if (HttpMethods.IsPost(request.Method))
        {
            await PostAsync(context, id);
        }
        else if (id is null)
        {
            await next(context);
        }
        else if (!await MayReadAsync(context))
        {
            return;
        }
        else if ((HttpMethods.IsDelete(request.Method) ? sessions.Find(id, Owner(context)) : sessions.Resume(id, Owner(context))) is not { } session)
        {
            await UnknownAsync(context);
        }
        else if (HttpMethods.IsGet(request.Method))
        {
            await StreamAsync(context, session);
        }
        else if (HttpMethods.IsDelete(request.Method))
        {
            sessions.End(session.Id, session.Owner);
            context.Response.StatusCode = StatusCodes.Status204NoContent;
        }
        else
        {
            await next(context);
        }
    }

    /// <summary>The session a request belongs to, if it carried a known id (what subscriptions are recorded into).</summary>
    public static NotificationSession? SessionOf(HttpContext? context) => context?.Features.Get<NotificationSession>();

    private async Task PostAsync(HttpContext context, string? id)
    {
        if (id is not null)
        {
            // The POST passed the endpoint's authorization already: the caller is who the token says.
            if (sessions.Resume(id, Owner(context)) is not { } session)
            {
                await UnknownAsync(context);
                return;
            }

            context.Features.Set(session);
            // The stateless SDK forgets initialize: the session remembers who the client said it was, for the records
            // of what it does (ControlActors; a token's name still comes first, and a proxy that names its own caller
            // in the actor header, as brummer mcp does, is not overridden).
            if (session.ClientName is { } client && !context.Request.Headers.ContainsKey(ControlActors.Header))
            {
                context.Items[ControlActors.McpClientItem] = client;
            }

            context.Request.Headers.Remove(Header);
            context.Response.Headers[Header] = session.Id;
        }
        else if (context.Features.Get<McpInitialize>() is { } initialize)
        {
            context.Response.OnStarting(() =>
            {
                if (context.Response.StatusCode == StatusCodes.Status200OK && sessions.Create(Owner(context), initialize.ClientName) is { } session)
                {
                    context.Response.Headers[Header] = session.Id;
                }

                return Task.CompletedTask;
            });
        }

        await next(context);
    }

    private async Task StreamAsync(HttpContext context, NotificationSession session)
    {
        if (!context.Request.GetTypedHeaders().Accept.Any(a => a.MatchesMediaType("text/event-stream")))
        {
            await RefuseAsync(context, StatusCodes.Status406NotAcceptable, "GET /mcp is a stream of server-sent events: send Accept: text/event-stream.");
            return;
        }

        var stream = session.Attach();
        using var ending = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        var cancellationToken = ending.Token;
        try
        {
            var body = ServerSentEvents.Open(context);
            context.Response.Headers[Header] = session.Id;
            await body.WriteAsync(Opening, cancellationToken);
            var end = await ServerSentEvents.PumpAsync(
                context,
                stream.Frames,
                async (frame, output, ct) =>
                {
                    await output.WriteAsync(Encoding.UTF8.GetBytes(string.Create(CultureInfo.InvariantCulture, $"id: {session.NextEventId()}\n")), ct);
                    await output.WriteAsync(frame, ct);
                },
                options.Value.EventsHeartbeat,
                () => session.Touch(time.GetUtcNow()),
                cancellationToken);
            if (end == StreamEnd.Revoked)
            {
                logger.LogInformation("Ended an MCP notification stream: its token was revoked");
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // The client went away, or the gateway stops.
        }
        finally
        {
            session.Detach(stream);
        }

        if (stream.Dropped)
        {
            logger.LogInformation("Ended an MCP notification stream whose client read too slowly; it gets new notifications when it opens the stream again");
        }
    }

    /// <summary>GET and DELETE have no SDK endpoint in stateless mode, so no endpoint authorization ran: check the read role here.</summary>
    private async Task<bool> MayReadAsync(HttpContext context)
    {
        var result = await authorization.AuthorizeAsync(context.User, RoleAuthorization.Policy(GatewayRole.Read));
        if (result.Succeeded)
        {
            return true;
        }

        if (context.User.Identity?.IsAuthenticated is true)
        {
            await context.ForbidAsync(TokenAuthenticationHandler.SchemeName);
        }
        else
        {
            await context.ChallengeAsync(TokenAuthenticationHandler.SchemeName);
        }

        return false;
    }

    private static string Owner(HttpContext context) => GatewayRoles.NameOf(context.User);

    private Task UnknownAsync(HttpContext context) => RefuseAsync(
        context,
        StatusCodes.Status404NotFound,
        $"Unknown or expired {Header}: send initialize again for a new session (sessions without an open GET /mcp stream expire after {NotificationSessions.IdleTimeout.TotalMinutes:0} minutes idle).");

    private Task RefuseAsync(HttpContext context, int status, string message)
    {
        logger.LogInformation("{Method} /mcp refused ({Status}): {Reason}", context.Request.Method, status, message);
        return McpEnvelopeGuard.WriteErrorAsync(context, status, status == StatusCodes.Status404NotFound ? -32001 : -32600, default, message);
    }
}

/// <summary>Marks a POST whose message is <c>initialize</c>, with the client's name (set by the <see cref="McpEnvelopeGuard"/>).</summary>
internal sealed record McpInitialize(string? ClientName);
