using System.ComponentModel;
using System.Text.Json.Serialization;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Contracts;

[Description("One line a process printed.")]
public sealed record LogLineDto(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("name"), Description("The script.")] string Name,
    [property: JsonPropertyName("seq"), Description("The line's sequence number in its process's output; pass it as after_seq to logs_tail to follow.")] long Seq,
    [property: JsonPropertyName("time"), Description("ISO-8601 UTC.")] DateTime Time,
    [property: JsonPropertyName("stream"), Description("stdout or stderr.")] string Stream,
    [property: JsonPropertyName("text"), Description("The line as printed (colour codes kept).")] string Text)
{
    public static LogLineDto From(LogEntry line)
    {
        ArgumentNullException.ThrowIfNull(line);
        return new(line.Node, line.Script, line.Sequence, line.Time.UtcDateTime, line.Stream, line.Text);
    }
}

public sealed record LogSearchResult(
    [property: JsonPropertyName("lines"), Description("Matching lines, newest first.")] IReadOnlyList<LogLineDto> Lines,
    [property: JsonPropertyName("truncated"), Description("True when a node stopped scanning at its work limit: older matches may exist; narrow the query (name, since).")] bool Truncated,
    [property: JsonPropertyName("unreachable_nodes"), Description("Nodes that could not be searched (lost or not answering).")] IReadOnlyList<string> UnreachableNodes);

public sealed record LogTailResult(
    [property: JsonPropertyName("lines"), Description("Oldest first.")] IReadOnlyList<LogLineDto> Lines,
    [property: JsonPropertyName("last_seq"), Description("The newest sequence number of this process's output: pass it as after_seq next time to get only newer lines.")] long LastSeq);
