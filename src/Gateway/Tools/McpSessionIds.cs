using System.Collections.Concurrent;
using System.Security.Claims;
using Microsoft.Extensions.Options;
using ModelContextProtocol.AspNetCore;

namespace Brummer.Gateway.Tools;

/// <summary>
/// The MCP sessions the SDK has handed out, as seen from outside it: the id in the <c>Mcp-Session-Id</c> header of an
/// initialize answer, the token it belongs to, and when the SDK last saw a request of it. The status poll
/// (<see cref="McpStatusPollResponder"/>) answers a poll that carries a session only when the SDK would accept the
/// session: known, of the same token, not idle past the SDK's idle timeout, not deleted. Anything else goes on to the
/// SDK, which refuses it as it always does (404 for a session it does not hold).
/// </summary>
internal sealed class McpSessionIds(IOptions<HttpServerTransportOptions> transport, TimeProvider time)
{
    /// <summary>Sessions remembered at most; beyond, polls of new sessions simply go through the SDK.</summary>
    private const int Capacity = 10_000;

    private readonly ConcurrentDictionary<string, Session> _sessions = new(StringComparer.Ordinal);
    // Obsolete with stateful sessions themselves (a back-compat mode for 2025-11-25 clients), which the gateway uses.
#pragma warning disable MCP9006
    private readonly TimeSpan _idleTimeout = transport.Value.IdleTimeout;
#pragma warning restore MCP9006

    /// <summary>The SDK answered a request without a session with a new one (an initialize).</summary>
    public void Started(string id, ClaimsPrincipal user)
    {
        if (_sessions.Count < Capacity)
        {
            _sessions[id] = new Session(Owner(user), time.GetTimestamp());
        }
    }

    /// <summary>A request of the session goes to the SDK: its idle clock restarts there, so here too.</summary>
    public void SeenBySdk(string id)
    {
        if (_sessions.TryGetValue(id, out var session))
        {
            Volatile.Write(ref session.LastSeen, time.GetTimestamp());
        }
    }

    /// <summary>The client ended the session (DELETE).</summary>
    public void Ended(string id) => _sessions.TryRemove(id, out _);

    /// <summary>Whether the SDK would accept a request of this session from this user now.</summary>
    public bool Accepts(string id, ClaimsPrincipal user)
    {
        if (!_sessions.TryGetValue(id, out var session))
        {
            return false;
        }

        if (time.GetElapsedTime(Volatile.Read(ref session.LastSeen)) > _idleTimeout)
        {
            _sessions.TryRemove(id, out _); // the SDK has dropped it too
            return false;
        }

        return string.Equals(session.Owner, Owner(user), StringComparison.Ordinal);
    }

    /// <summary>What the SDK binds a session to: the token's name, or nobody when the gateway has no tokens.</summary>
    private static string? Owner(ClaimsPrincipal user) => user.FindFirst(ClaimTypes.NameIdentifier)?.Value;

    private sealed class Session(string? owner, long lastSeen)
    {
        public readonly string? Owner = owner;
        public long LastSeen = lastSeen;
    }
}
