using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;

namespace Brummer.Gateway.Traffic;

/// <summary>
/// A request's permit in its lane, held until the request ends — or given back earlier by a request whose lane-bound
/// work is done and that goes on waiting (a run that then waits for its process to be ready), so the wait never
/// keeps another control call out.
/// </summary>
public sealed class LanePermit(RateLimitLease lease) : IDisposable
{
    private RateLimitLease? _lease = lease;

    /// <summary>Gives the permit back now; later calls do nothing.</summary>
    public void Release() => Interlocked.Exchange(ref _lease, null)?.Dispose();

    public void Dispose() => Release();

    /// <summary>Gives back the current request's permit, if it holds one.</summary>
    public static void ReleaseFor(HttpContext? context) => context?.Features.Get<LanePermit>()?.Release();
}
