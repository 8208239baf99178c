using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Brummer.ServiceDefaults;

/// <summary>
/// Keeps a trace unless it starts with a call nobody asked for. The cluster talks to itself all the time (each node
/// pushes its status changes and heartbeats to every gateway, gateways watch membership, timers tick), probes ask
/// their processes every few seconds, and the script-log exporter posts its batches: each such call would be a trace
/// of its own, hundreds a minute that bury the ones a dashboard watcher looks for. So a trace starts only with a
/// request that reached Brummer (an agent's MCP call, an API request) or with a run (<c>process.run</c>); an outgoing
/// call (kind Client) or an Orleans call with no parent is dropped. Calls made while serving a request have it as
/// their parent and are kept with it.
/// </summary>
/// <remarks>Orleans names its spans <c>IInterface/Method</c> (its timers are Server spans); requests are named <c>POST /mcp</c>.</remarks>
internal sealed class BackgroundCallSampler : Sampler
{
    private static readonly SamplingResult Keep = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    /// <summary>Applies only to roots: a span under a kept parent is kept, under a dropped one dropped.</summary>
    public static Sampler ForRoots() => new ParentBasedSampler(new BackgroundCallSampler());

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Kind == ActivityKind.Client || (samplingParameters.Kind == ActivityKind.Server && IsOrleansCall(samplingParameters.Name)) ? Drop : Keep;

    private static bool IsOrleansCall(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash > 1 && name[0] == 'I' && !name.Contains(' ', StringComparison.Ordinal);
    }
}
