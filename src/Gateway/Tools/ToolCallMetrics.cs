using System.Diagnostics;
using Brummer.Gateway.Status;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;
using static Brummer.Telemetry.BrummerTelemetry;

namespace Brummer.Gateway.Tools;

/// <summary>
/// Counts and times every MCP tool call by tool and outcome. It sits inside the filter that turns refusals into tool
/// errors, so it still tells a refusal (bad input, unknown name, missing role) from a tool that failed. A name that is
/// not one of the gateway's tools is counted as "unknown": a caller's free text never becomes an attribute.
/// </summary>
internal sealed class ToolCallMetrics(GatewayMetrics metrics, IReadOnlySet<string> tools)
{
    /// <summary>The name the fast path (<see cref="McpStatusPollResponder"/>) answers for.</summary>
    public const string StatusTool = "scripts_status";

    public McpRequestHandler<CallToolRequestParams, CallToolResult> Measure(McpRequestHandler<CallToolRequestParams, CallToolResult> next) =>
        async (context, cancellationToken) =>
        {
            var started = Stopwatch.GetTimestamp();
            var outcome = Outcomes.Error;
            try
            {
                var result = await next(context, cancellationToken);
                outcome = result.IsError == true ? Outcomes.Error : Outcomes.Ok;
                return result;
            }
            catch (GatewayException)
            {
                outcome = Outcomes.Refused;
                throw;
            }
            finally
            {
                var tool = context.Params?.Name is { } name && tools.Contains(name) ? name : "unknown";
                metrics.ToolCall(tool, outcome, Stopwatch.GetElapsedTime(started));
            }
        };
}
