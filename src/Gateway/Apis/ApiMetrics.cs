using System.Diagnostics;
using Brummer.Gateway.Status;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Brummer.Gateway.Apis;

/// <summary>
/// Counts and times JSON API requests by route template, method and status code. The template, not the path: a path
/// holds script and node names, which would make a series per name.
/// </summary>
internal sealed class ApiMetrics(RequestDelegate next, GatewayMetrics metrics)
{
    public async Task InvokeAsync(HttpContext context)
    {
        var started = Stopwatch.GetTimestamp();
        try
        {
            await next(context);
        }
        finally
        {
            var route = (context.GetEndpoint() as RouteEndpoint)?.RoutePattern.RawText ?? "unmatched";
            metrics.ApiRequest(route, context.Request.Method, context.Response.StatusCode, Stopwatch.GetElapsedTime(started));
        }
    }
}
