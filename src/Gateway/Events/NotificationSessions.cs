using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Status;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

// MCP logging (logging/setLevel, notifications/message) is deprecated from the 2026-07-28 revision on, but it is how
// clients of the initialize handshake, the only ones with notification sessions, are told of exits and errors.
#pragma warning disable MCP9005

namespace Brummer.Gateway.Events;

/// <summary>
/// The MCP notification sessions and what they are told. MCP requests stay stateless (each is answered on its own
/// HTTP request by the SDK); a session is only where a client's subscriptions and level live and the <c>GET /mcp</c>
/// stream its notifications go out on (see <see cref="Traffic.McpSessionEndpoint"/>). Fed by the
/// <see cref="ClusterEventFeed"/> like any event client: a subscribed log resource is announced with
/// <c>notifications/resources/updated</c> when its process prints or changes (at most once per
/// <see cref="UpdateInterval"/>, plus one at the interval's end so the last lines are never missed), and every session
/// hears of exits and new errors as <c>notifications/message</c> at or above its level.
/// </summary>
internal sealed class NotificationSessions(ClusterEventFeed feed, ClusterStatusCache cache, TimeProvider time, ILogger<NotificationSessions> logger) : BackgroundService
{
    public static readonly TimeSpan UpdateInterval = TimeSpan.FromSeconds(1);

    /// <summary>A session without an open stream that no request has used for this long is forgotten.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(30);

    /// <summary>Sessions kept at once: past it, the longest idle one without a stream makes room.</summary>
    public const int MaxSessions = 1_024;

    /// <summary>Log resources one session may subscribe to.</summary>
    public const int MaxSubscriptions = 256;

    public const string Logger = "brummer";

    private const int IdBytes = 16;

    private readonly ConcurrentDictionary<string, NotificationSession> _sessions = new(StringComparer.Ordinal);
    private readonly Lock _admission = new();
    private readonly EndedSessions _ended = new(MaxSessions * 4);

    // Kept by the single event loop: each process's last status and run, to tell an exit once (not at every later
    // change), even when a quick failure shows as failed both before and after a new run.
    private readonly Dictionary<(string Node, string Name), (string Status, int Run)> _statuses = [];

    public int Count => _sessions.Count;

    /// <summary>A new session for <paramref name="owner"/>; null when every slot is held by a session with an open stream.</summary>
    public NotificationSession? Create(string owner, string? clientName = null)
    {
        Span<byte> random = stackalloc byte[IdBytes];
        RandomNumberGenerator.Fill(random);
        return Admit(WebEncoders.Base64UrlEncode(random), owner, clientName);
    }

    /// <summary>
    /// The session with this id for <paramref name="owner"/>, taken up again when this gateway does not know it (it
    /// was restarted, or the session expired): the client's calls keep working and its log notifications resume
    /// instead of every client having to initialize again; what it subscribed to it must subscribe to again. Null for
    /// another token's session, and for an id this gateway could not have made.
    /// </summary>
    public NotificationSession? Resume(string id, string owner)
    {
        ArgumentNullException.ThrowIfNull(id);
        if (Find(id, owner) is { } known)
        {
            return known;
        }

        return _sessions.ContainsKey(id) || !IsWellFormed(id) || _ended.Contains(id) ? null : Admit(id, owner, clientName: null);
    }

    /// <summary>The shape of the ids <see cref="Create"/> makes: 16 random bytes, base64url without padding.</summary>
    private static bool IsWellFormed(string id) =>
        id.Length == 22 && id.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');

    private NotificationSession? Admit(string id, string owner, string? clientName)
    {
        var now = time.GetUtcNow();
        lock (_admission)
        {
            foreach (var stale in _sessions.Values.Where(s => !s.HasStream && now - s.LastSeen > IdleTimeout).ToList())
            {
                Forget(stale);
            }

            if (_sessions.Count >= MaxSessions)
            {
                var idlest = _sessions.Values.Where(s => !s.HasStream).MinBy(s => s.LastSeen);
                if (idlest is null)
                {
                    logger.LogWarning("No MCP notification session made: all {Count} are open", MaxSessions);
                    return null;
                }

                Forget(idlest);
            }

            if (_sessions.TryGetValue(id, out var taken))
            {
                return string.Equals(taken.Owner, owner, StringComparison.Ordinal) ? taken : null; // resumed by a racing request
            }

            var session = new NotificationSession(id, owner, now) { ClientName = clientName };
            _sessions[session.Id] = session;
            return session;
        }
    }

    /// <summary>The session with this id if <paramref name="owner"/> made it (and it is not expired); null otherwise.</summary>
    public NotificationSession? Find(string id, string owner)
    {
        if (!_sessions.TryGetValue(id, out var session) || !string.Equals(session.Owner, owner, StringComparison.Ordinal))
        {
            return null;
        }

        var now = time.GetUtcNow();
        if (!session.HasStream && now - session.LastSeen > IdleTimeout)
        {
            Forget(session);
            return null;
        }

        session.Touch(now);
        return session;
    }

    public bool End(string id, string owner)
    {
        if (Find(id, owner) is not { } session)
        {
            return false;
        }

        Forget(session);
        _ended.Add(id); // ended by its client: not taken up again
        return true;
    }

    private void Forget(NotificationSession session)
    {
        if (_sessions.TryRemove(new KeyValuePair<string, NotificationSession>(session.Id, session)))
        {
            session.Close();
        }
    }

    public void Subscribe(NotificationSession session, string? uri)
    {
        if (!LogResources.TryParse(uri, out var node, out var name))
        {
            throw new McpException($"Unknown resource {InputText.Quote(uri)}: log resources are {LogResources.Template}; resources/list has every one.");
        }

        if (!cache.Current.Nodes.Any(n => n.Name == node && n.ScriptList.Any(s => s.Name == name)))
        {
            throw new McpException($"No script {InputText.Quote(name)} on node {InputText.Quote(node)}: resources/list has every log resource.");
        }

        if (!session.Resources.ContainsKey(uri!) && session.Resources.Count >= MaxSubscriptions)
        {
            throw new McpException($"This session already subscribes to {MaxSubscriptions} log resources: unsubscribe from some first.");
        }

        session.Resources.TryAdd(uri!, new ResourcePacing());
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string? after = null;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                // The first subscription opens with the whole picture (a reset): nothing in it is news, but it is where
                // each process stands. After a drop it resumes; a picture that follows a reset then is not news either.
                using var subscription = feed.Subscribe(after ?? feed.Current.ToString());
                long? picture = null;
                await foreach (var item in subscription.Events.ReadAllAsync(stoppingToken))
                {
                    after = item.Cursor.ToString();
                    if (item.Type == "reset")
                    {
                        picture = item.Sequence;
                    }

                    var news = item.Sequence != picture;
                    try
                    {
                        Tell(item, news);
                    }
                    catch (Exception ex) when (ex is not OutOfMemoryException)
                    {
                        logger.LogWarning(ex, "Could not turn a {Type} event into MCP notifications", item.Type);
                    }
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            foreach (var session in _sessions.Values)
            {
                session.Close();
            }
        }
    }

    private void Tell(ClusterEvent item, bool news)
    {
        switch (item.Data)
        {
            case ProcessDto process:
                var before = _statuses.GetValueOrDefault((process.Node, process.Name));
                _statuses[(process.Node, process.Name)] = (process.Status, process.Run);
                if (!news || _sessions.IsEmpty)
                {
                    return;
                }

                Announce(LogResources.UriOf(process.Node, process.Name));
                if ((process.Status, process.Run) != before && Ending(process) is { } ending)
                {
                    Broadcast(ending.Level, ending.Message, item.Json);
                }

                break;
            case ProcessRemovedDto removed:
                _statuses.Remove((removed.Node, removed.Name));
                break;
            case ErrorEventDto error when news && !_sessions.IsEmpty:
                Broadcast(
                    LoggingLevel.Error,
                    $"{error.Name} on {error.Node} printed {error.NewErrors} new error(s) ({error.ErrorCount} in this run); errors_list name={error.Name} node={error.Node} shows them.",
                    item.Json);
                break;
        }
    }

    /// <summary>What an agent is told when a process stops running (null: it did not).</summary>
    private static (LoggingLevel Level, string Message)? Ending(ProcessDto process)
    {
        var where = $"{process.Name} on {process.Node}";
        var look = $" Its output: logs_tail name={process.Name} node={process.Node}; its errors: errors_list name={process.Name} node={process.Node}.";
        var code = process.ExitCode is { } c ? $"exit code {c}" : process.Reason ?? "no exit code";
        return process.Status switch
        {
            "failed" => (LoggingLevel.Error, $"{where} failed ({code}).{look}"),
            "restarting" when process.ExitCode is not 0 => (LoggingLevel.Error, $"{where} crashed ({code}) and will be restarted{(process.NextRestartAt is { } at ? $" at {at:O}" : string.Empty)}.{look}"),
            "lost" => (LoggingLevel.Warning, $"{where} is lost: its node stopped answering. nodes_list shows the nodes."),
            "succeeded" => (LoggingLevel.Info, $"{where} succeeded (exit code 0)."),
            "stopped" => (LoggingLevel.Info, $"{where} stopped."),
            _ => null,
        };
    }

    /// <summary>Tells each session subscribed to <paramref name="uri"/> that it changed, paced per session.</summary>
    private void Announce(string uri)
    {
        ReadOnlyMemory<byte>? frame = null;
        var now = time.GetUtcNow();
        foreach (var session in _sessions.Values)
        {
            if (!session.Resources.TryGetValue(uri, out var pacing))
            {
                continue;
            }

            frame ??= Frame(NotificationMethods.ResourceUpdatedNotification, JsonSerializer.SerializeToNode(new ResourceUpdatedNotificationParams { Uri = uri }, McpJsonUtilities.DefaultOptions));
            var due = pacing.LastSent + UpdateInterval;
            if (now >= due)
            {
                pacing.Sent(now);
                session.Send(frame.Value);
            }
            else if (pacing.TryScheduleTrailing())
            {
                // Within the interval: one more announcement at its end covers every change until then.
                var trailing = frame.Value;
                _ = SendLaterAsync(session, uri, pacing, trailing, due - now);
            }
        }
    }

    private async Task SendLaterAsync(NotificationSession session, string uri, ResourcePacing pacing, ReadOnlyMemory<byte> frame, TimeSpan delay)
    {
        await Task.Delay(delay, time);
        pacing.TrailingDone();
        if (session.Resources.TryGetValue(uri, out var current) && ReferenceEquals(current, pacing))
        {
            pacing.Sent(time.GetUtcNow());
            session.Send(frame);
        }
    }

    private void Broadcast(LoggingLevel level, string message, ReadOnlyMemory<byte> eventJson)
    {
        ReadOnlyMemory<byte>? frame = null;
        foreach (var session in _sessions.Values)
        {
            if (level < session.Level)
            {
                continue;
            }

            frame ??= Frame(NotificationMethods.LoggingMessageNotification, JsonSerializer.SerializeToNode(
                new LoggingMessageNotificationParams
                {
                    Level = level,
                    Logger = Logger,
                    Data = JsonSerializer.SerializeToElement(new JsonObject { ["message"] = message, ["event"] = JsonNode.Parse(eventJson.Span) }, McpJsonUtilities.DefaultOptions),
                },
                McpJsonUtilities.DefaultOptions));
            session.Send(frame.Value);
        }
    }

    /// <summary>One JSON-RPC notification as a server-sent event, serialized once for every session it goes to.</summary>
    private static byte[] Frame(string method, JsonNode? parameters)
    {
        var json = JsonSerializer.Serialize(new JsonRpcNotification { Method = method, Params = parameters }, McpJsonUtilities.DefaultOptions);
        return Encoding.UTF8.GetBytes($"event: message\ndata: {json}\n\n");
    }

    /// <summary>The ids of the last sessions their clients ended (DELETE), so a late request with one is still a 404.</summary>
    private sealed class EndedSessions(int capacity)
    {
        private readonly Queue<string> _order = new();
        private readonly HashSet<string> _ids = new(StringComparer.Ordinal);
        private readonly Lock _gate = new();

        public void Add(string id)
        {
            lock (_gate)
            {
                if (!_ids.Add(id))
                {
                    return;
                }

                _order.Enqueue(id);
                if (_order.Count > capacity)
                {
                    _ids.Remove(_order.Dequeue());
                }
            }
        }

        public bool Contains(string id)
        {
            lock (_gate)
            {
                return _ids.Contains(id);
            }
        }
    }
}
