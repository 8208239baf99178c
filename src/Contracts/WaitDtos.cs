using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Brummer.Gateway.Contracts;

[Description("A process that reached the state waited for.")]
public sealed record WaitResult(
    [property: JsonPropertyName("process"), Description("The process as it was when the condition first held.")] ProcessDto Process,
    [property: JsonPropertyName("condition"), Description("What was waited for: running, ready, exited, succeeded or failed.")] string Condition,
    [property: JsonPropertyName("waited_ms"), Description("How long the wait took, in milliseconds (0 when it held at once).")] long WaitedMs);
