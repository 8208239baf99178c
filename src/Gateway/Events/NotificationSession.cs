using System.Collections.Concurrent;
using System.Threading.Channels;
using ModelContextProtocol.Protocol;

// MCP logging (logging/setLevel, notifications/message) is deprecated from the 2026-07-28 revision on, but it is how
// clients of the initialize handshake, the only ones with notification sessions, are told of exits and errors.
#pragma warning disable MCP9005

namespace Brummer.Gateway.Events;

/// <summary>
/// One MCP client's notification session: what it subscribed to, the logging level it asked for, and the open
/// <c>GET /mcp</c> stream (if any) its notifications go out on, with a short backlog for while none is open.
/// Requests stay stateless; this is only the mailbox.
/// Bound to the token that made it: the id is useless to any other caller.
/// </summary>
internal sealed class NotificationSession(string id, string owner, DateTimeOffset createdAt)
{
    /// <summary>Frames kept while no stream is open (the client opens it just after initialize, or is reconnecting).</summary>
    public const int Backlog = 32;

    private readonly Lock _gate = new();
    private readonly Queue<ReadOnlyMemory<byte>> _backlog = new();
    private NotificationStream? _stream;
    private long _lastSeenTicks = createdAt.UtcTicks;
    private long _eventId;
    private int _level = (int)LoggingLevel.Warning;

    /// <summary>The <c>Mcp-Session-Id</c>: 128 random bits.</summary>
    public string Id { get; } = id;

    /// <summary>The token name (or the local user) that made it.</summary>
    public string Owner { get; } = owner;

    /// <summary>The clientInfo name its initialize gave, if any.</summary>
    public string? ClientName { get; init; }

    /// <summary>Subscribed log resources, each with its own pacing of <c>notifications/resources/updated</c>.</summary>
    public ConcurrentDictionary<string, ResourcePacing> Resources { get; } = new(StringComparer.Ordinal);

    /// <summary>The least level of <c>notifications/message</c> it is sent (warning until it sets one).</summary>
    public LoggingLevel Level
    {
        get => (LoggingLevel)Volatile.Read(ref _level);
        set => Volatile.Write(ref _level, (int)value);
    }

    public DateTimeOffset LastSeen => new(Interlocked.Read(ref _lastSeenTicks), TimeSpan.Zero);

    public bool HasStream
    {
        get
        {
            lock (_gate)
            {
                return _stream is not null;
            }
        }
    }

    /// <summary>The next SSE event id on the session's stream (ids go on rising across reconnects).</summary>
    public long NextEventId() => Interlocked.Increment(ref _eventId);

    public void Touch(DateTimeOffset now) => Interlocked.Exchange(ref _lastSeenTicks, now.UtcTicks);

    /// <summary>
    /// Opens the stream notifications go out on. A client has one: a new GET (a reconnect the gateway has not noticed
    /// the end of yet) ends the one before.
    /// </summary>
    public NotificationStream Attach()
    {
        var stream = new NotificationStream();
        NotificationStream? previous;
        lock (_gate)
        {
            previous = _stream;
            _stream = stream;
            while (_backlog.TryDequeue(out var frame))
            {
                stream.TryWrite(frame);
            }
        }

        previous?.End(dropped: false);
        return stream;
    }

    public void Detach(NotificationStream stream)
    {
        lock (_gate)
        {
            if (ReferenceEquals(_stream, stream))
            {
                _stream = null;
            }
        }

        stream.End(dropped: false);
    }

    /// <summary>
    /// Hands one SSE frame to the open stream, or keeps it (the last <see cref="Backlog"/>) until one opens. A client
    /// that reads so slowly that its stream's buffer fills has the stream ended (it reconnects); false then.
    /// </summary>
    public bool Send(ReadOnlyMemory<byte> frame)
    {
        NotificationStream? stream;
        lock (_gate)
        {
            stream = _stream;
            if (stream is null)
            {
                if (_backlog.Count == Backlog)
                {
                    _backlog.Dequeue();
                }

                _backlog.Enqueue(frame);
                return true;
            }
        }

        if (stream.TryWrite(frame))
        {
            return true;
        }

        Detach(stream);
        stream.End(dropped: true);
        return false;
    }

    /// <summary>Ends the session's stream, if any (the session was deleted, expired or the gateway stops).</summary>
    public void Close()
    {
        NotificationStream? stream;
        lock (_gate)
        {
            stream = _stream;
            _stream = null;
        }

        stream?.End(dropped: false);
    }
}

/// <summary>When a subscribed resource was last announced, and whether one more announcement is due at the end of the interval.</summary>
internal sealed class ResourcePacing
{
    private long _lastSentTicks;
    private int _trailing;

    public DateTimeOffset LastSent => new(Interlocked.Read(ref _lastSentTicks), TimeSpan.Zero);

    public void Sent(DateTimeOffset at) => Interlocked.Exchange(ref _lastSentTicks, at.UtcTicks);

    /// <summary>True for the caller that gets to schedule the trailing announcement (one at a time).</summary>
    public bool TryScheduleTrailing() => Interlocked.CompareExchange(ref _trailing, 1, 0) == 0;

    public void TrailingDone() => Volatile.Write(ref _trailing, 0);
}

/// <summary>The frames waiting for one open <c>GET /mcp</c> response, in a bounded buffer.</summary>
internal sealed class NotificationStream
{
    /// <summary>Frames a stream may have waiting before its client counts as too slow and the stream is ended.</summary>
    public const int Capacity = 256;

    private readonly Channel<ReadOnlyMemory<byte>> _frames = Channel.CreateBounded<ReadOnlyMemory<byte>>(
        new BoundedChannelOptions(Capacity) { SingleReader = true, FullMode = BoundedChannelFullMode.Wait });

    /// <summary>Completes once the stream is ended (after the frames already in the buffer).</summary>
    public ChannelReader<ReadOnlyMemory<byte>> Frames => _frames.Reader;

    /// <summary>True when it was ended because its client read too slowly.</summary>
    public bool Dropped { get; private set; }

    public bool TryWrite(ReadOnlyMemory<byte> frame) => _frames.Writer.TryWrite(frame);

    public void End(bool dropped)
    {
        if (dropped)
        {
            Dropped = true;
        }

        _frames.Writer.TryComplete();
    }
}
