using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Brummer.Gateway.Contracts;

[Description("One line a process printed.")]
public sealed record LogLineDto(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("name"), Description("The script.")] string Name,
    [property: JsonPropertyName("seq"), Description("The line's sequence number in its process's output; pass it as after_seq to logs_tail to follow.")] long Seq,
    [property: JsonPropertyName("time"), Description("ISO-8601 UTC.")] DateTime Time,
    [property: JsonPropertyName("stream"), Description("stdout or stderr.")] string Stream,
    [property: JsonPropertyName("text"), Description("The line as printed (colour codes kept).")] string Text);

public sealed record LogSearchResult(
    [property: JsonPropertyName("lines"), Description("Matching lines, newest first.")] IReadOnlyList<LogLineDto> Lines,
    [property: JsonPropertyName("truncated"), Description("True when a node stopped scanning at its work limit: older matches may exist; narrow the query (name, since).")] bool Truncated,
    [property: JsonPropertyName("unreachable_nodes"), Description("Nodes that could not be searched (lost or not answering).")] IReadOnlyList<string> UnreachableNodes);

public sealed record LogTailResult(
    [property: JsonPropertyName("lines"), Description("Oldest first.")] IReadOnlyList<LogLineDto> Lines,
    [property: JsonPropertyName("last_seq"), Description("The newest sequence number of this process's output: pass it as after_seq next time to get only newer lines.")] long LastSeq);

[Description("An error found in a process's output.")]
public sealed record ErrorDto(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("name"), Description("The script.")] string Name,
    [property: JsonPropertyName("kind"), Description("The language or tool whose error format it is (javascript, typescript, dotnet, python, go, rust, java).")] string Kind,
    [property: JsonPropertyName("first_line"), Description("The line that says what went wrong.")] string FirstLine,
    [property: JsonPropertyName("block"), Description("The whole error: message and stack trace, one entry per line.")] IReadOnlyList<string> Block,
    [property: JsonPropertyName("time"), Description("When it first appeared (ISO-8601 UTC).")] DateTime Time,
    [property: JsonPropertyName("last_time"), Description("When it last appeared.")] DateTime LastTime,
    [property: JsonPropertyName("count"), Description("How many times this same error appeared in that run.")] int Count,
    [property: JsonPropertyName("run"), Description("The run of the process that printed it (1 for its first start on the node; scripts_history lists them).")] int Run);

public sealed record ErrorsResult(
    [property: JsonPropertyName("errors"), Description("Oldest first: the first error of each failing process comes first. By default only each process's current (or last) run's errors: a fixed error is gone once the process is run again.")] IReadOnlyList<ErrorDto> Errors,
    [property: JsonPropertyName("unreachable_nodes"), Description("Nodes that could not be asked (lost or not answering).")] IReadOnlyList<string> UnreachableNodes);

[Description("A URL a process printed.")]
public sealed record UrlDto(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("name"), Description("The script.")] string Name,
    [property: JsonPropertyName("url")] string Url,
    [property: JsonPropertyName("time"), Description("When it was first printed (ISO-8601 UTC).")] DateTime Time);

public sealed record UrlsResult(
    [property: JsonPropertyName("urls")] IReadOnlyList<UrlDto> Urls,
    [property: JsonPropertyName("unreachable_nodes"), Description("Nodes that could not be asked (lost or not answering).")] IReadOnlyList<string> UnreachableNodes);
