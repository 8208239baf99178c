using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Traffic;

/// <summary>
/// Lets each request into its <see cref="RequestLane"/> when a permit is free, waiting at most as long as the lane's
/// calls may take (a control call's whole time limit counts from its arrival). A request that cannot get in by then
/// is answered 503 having done nothing — so a busy gateway never carries out a request after refusing it.
/// </summary>
internal sealed class LaneGate(RequestDelegate next, IOptions<GatewayOptions> options, TimeProvider time, ILogger<LaneGate> logger)
{
    private static readonly TimeSpan LogsPatience = TimeSpan.FromMinutes(1);

    private readonly PartitionedRateLimiter<HttpContext> _lanes = RequestLanes.Create(Environment.ProcessorCount);

    public async Task InvokeAsync(HttpContext context)
    {
        RequestArrival.Stamp(context, time.GetUtcNow());
        var lane = RequestLanes.LaneOf(context);
        if (lane == RequestLane.None)
        {
            await next(context);
            return;
        }

        // Reads change nothing, so they wait as long as their caller does; a search waits a while behind other searches
        // (each takes a few seconds at most); a control call may use half its time limit waiting, the rest is the node's.
        // Waits have no queue: a full lane refuses at once.
        var settings = options.Value;
        var patience = lane switch
        {
            RequestLane.Control => settings.ControlTimeout / 2,
            RequestLane.Logs => LogsPatience,
            _ => Timeout.InfiniteTimeSpan,
        };
        RateLimitLease lease;
        using (var wait = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted))
        {
            if (patience != Timeout.InfiniteTimeSpan)
            {
                wait.CancelAfter(patience);
            }

            try
            {
                lease = await _lanes.AcquireAsync(context, 1, wait.Token);
            }
            catch (OperationCanceledException) when (!context.RequestAborted.IsCancellationRequested)
            {
                await BusyAsync(context, lane, $"it waited {patience.TotalSeconds:0.#} s for a turn");
                return;
            }
        }

        using var permit = new LanePermit(lease);
        if (!lease.IsAcquired)
        {
            await BusyAsync(context, lane, "the queue is full");
            return;
        }

        context.Features.Set(permit);
        await next(context);
    }

    private Task BusyAsync(HttpContext context, RequestLane lane, string why)
    {
        logger.LogInformation("{Lane} request refused: {Why}", lane, why);
        context.Response.Headers.RetryAfter = "1";
        return Problems.WriteAsync(
            context,
            StatusCodes.Status503ServiceUnavailable,
            $"The gateway is busy with other {lane.ToString().ToLowerInvariant()} requests ({why}); this one was not carried out. Try again.",
            title: "Busy");
    }
}
