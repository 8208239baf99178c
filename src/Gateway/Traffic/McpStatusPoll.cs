namespace Brummer.Gateway.Traffic;

/// <summary>
/// Marks an MCP request that is the common poll, <c>tools/call scripts_status</c> with no arguments, found while the
/// <see cref="McpEnvelopeGuard"/> checked the message. <see cref="Id"/> is the request's id as it was sent (JSON).
/// </summary>
public sealed record McpStatusPoll(string Id)
{
    public const string Tool = "scripts_status";
}
