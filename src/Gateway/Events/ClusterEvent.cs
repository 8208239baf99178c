using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Brummer.Gateway.Events;

/// <summary>
/// One change of the cluster as /api/events and MCP notifications tell it: a type (<c>process</c>, <c>process_removed</c>,
/// <c>node</c>, <c>error</c>, <c>reset</c>), its payload (a wire DTO) and that payload as JSON, serialized once for
/// every client. <see cref="Sequence"/> orders the events of one gateway run.
/// </summary>
public sealed class ClusterEvent
{
    public ClusterEvent(EventCursor cursor, string type, object data)
    {
        ArgumentNullException.ThrowIfNull(data);
        Cursor = cursor;
        Type = type;
        Data = data;
        Json = JsonSerializer.SerializeToUtf8Bytes(data, data.GetType(), JsonSerializerOptions.Web);
        Frame = (byte[])[.. Encoding.UTF8.GetBytes($"id: {cursor}\nevent: {type}\ndata: "), .. Json.Span, (byte)'\n', (byte)'\n'];
    }

    /// <summary>Where a client that has seen this event stands (events of a reset share the cursor they lead up to).</summary>
    public EventCursor Cursor { get; }

    public long Sequence => Cursor.Sequence;

    public string Type { get; }

    /// <summary>A <see cref="Contracts.ProcessDto"/>, <see cref="Contracts.NodeDto"/>, <see cref="Contracts.ErrorEventDto"/>, ….</summary>
    public object Data { get; }

    /// <summary>The payload as UTF-8 JSON, on one line (server-sent events end a field at a line break).</summary>
    public ReadOnlyMemory<byte> Json { get; }

    /// <summary>The whole server-sent event (id, event, data, blank line), as every client is sent it.</summary>
    public ReadOnlyMemory<byte> Frame { get; }
}

/// <summary>
/// Where a client stands in the feed: the gateway run's id and a sequence number, as <c>RUN-SEQ</c> (the SSE
/// <c>id:</c> field). A cursor of another run (the gateway restarted) cannot be resumed from.
/// </summary>
public readonly record struct EventCursor(string Run, long Sequence)
{
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Run}-{Sequence}");

    public static bool TryParse(string? text, out EventCursor cursor)
    {
        cursor = default;
        var dash = text?.LastIndexOf('-') ?? -1;
        if (text is null || dash <= 0 || !long.TryParse(text.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
        {
            return false;
        }

        cursor = new EventCursor(text[..dash], sequence);
        return true;
    }
}
