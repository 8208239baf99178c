using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Brummer.Gateway.Contracts;

// Payloads of /api/events (server-sent events) besides ProcessDto (event "process") and NodeDto (event "node").

[Description("Sent first when a stream cannot resume where the client left off: forget what you knew; the node and process events that follow are the whole picture.")]
public sealed record EventsResetDto(
    [property: JsonPropertyName("reason"), Description("new (no Last-Event-ID), unknown (the id is not from this gateway's run) or too_old (the events since are no longer kept).")] string Reason);

[Description("A script disappeared from a node's definitions (reload).")]
public sealed record ProcessRemovedDto(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("name")] string Name);

[Description("A process printed new errors.")]
public sealed record ErrorEventDto(
    [property: JsonPropertyName("node")] string Node,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("error_count"), Description("Errors detected in its output so far (repeats included).")] int ErrorCount,
    [property: JsonPropertyName("new_errors"), Description("How many since the previous event about this process.")] int NewErrors,
    [property: JsonPropertyName("last_line"), JsonIgnore(Condition = JsonIgnoreCondition.Never), Description("The last line it printed when the errors were seen; errors_list (/api/errors) has the blocks.")] string? LastLine);
