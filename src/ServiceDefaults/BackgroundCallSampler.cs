using System.Diagnostics;
using OpenTelemetry.Trace;

namespace Brummer.ServiceDefaults;

/// <summary>
/// Keeps a trace unless it starts with an Orleans call nobody asked for. The cluster talks to itself all the time
/// (each node pushes its status changes and heartbeats to every gateway, gateways watch membership, timers tick), and
/// every such call would be a trace of its own: hundreds a minute that bury the ones a dashboard watcher looks for.
/// A grain call made while serving a request (an agent's MCP call, an API request) has that request as its parent and
/// is kept with it; a run's <c>process.run</c> span is never an Orleans call.
/// </summary>
/// <remarks>Orleans names its spans <c>IInterface/Method</c>; requests are named <c>POST /mcp</c>, HTTP clients <c>GET</c>.</remarks>
internal sealed class BackgroundCallSampler : Sampler
{
    private static readonly SamplingResult Keep = new(SamplingDecision.RecordAndSample);
    private static readonly SamplingResult Drop = new(SamplingDecision.Drop);

    /// <summary>Applies only to roots: a span under a kept parent is kept, under a dropped one dropped.</summary>
    public static Sampler ForRoots() => new ParentBasedSampler(new BackgroundCallSampler());

    public override SamplingResult ShouldSample(in SamplingParameters samplingParameters) =>
        samplingParameters.Kind is ActivityKind.Client or ActivityKind.Server && IsOrleansCall(samplingParameters.Name) ? Drop : Keep;

    private static bool IsOrleansCall(string name)
    {
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        return slash > 1 && name[0] == 'I' && !name.Contains(' ', StringComparison.Ordinal);
    }
}
