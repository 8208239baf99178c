using Brummer.Gateway.Waiting;
using ModelContextProtocol;

namespace Brummer.Gateway.Tools;

/// <summary>
/// A wait's progress as MCP progress notifications: seconds waited of the timeout, and how the process stands. The SDK
/// sends them only when the client asked (a progress token); a client that resets its timeout on progress then waits on.
/// </summary>
internal sealed class McpWaitProgress(IProgress<ProgressNotificationValue> notifications) : IProgress<WaitProgress>
{
    /// <summary>Null when the tool was called without progress (outside an MCP request), so the wait skips its heartbeats.</summary>
    public static McpWaitProgress? From(IProgress<ProgressNotificationValue>? notifications) =>
        notifications is null ? null : new McpWaitProgress(notifications);

    public void Report(WaitProgress value) => notifications.Report(new ProgressNotificationValue
    {
        Progress = (float)value.Waited.TotalSeconds,
        Total = (float)value.Timeout.TotalSeconds,
        Message = value.Message,
    });
}
