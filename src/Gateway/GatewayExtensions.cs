using Brummer.Gateway.Apis;
using Brummer.Gateway.Services;
using Brummer.Gateway.Status;
using Brummer.Gateway.Tools;
using System.Threading.RateLimiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.RateLimiting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Brummer.Gateway;

public static class GatewayExtensions
{
    public const int DefaultPort = 7777;

    private const string McpLimiter = "mcp";

    /// <summary>
    /// The gateway's services: cluster status cache and its feed, the service layer, and the MCP server
    /// (streamable HTTP). Needs an <see cref="IClusterClient"/> (a co-hosted silo's or an Orleans client's).
    /// </summary>
    public static IHostApplicationBuilder AddBrummerGateway(this IHostApplicationBuilder builder, Action<GatewayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Settings from configuration (e.g. Brummer__Gateway__SilenceLimit=00:00:30), then the host's own.
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration("Brummer:Gateway").Configure(o => configure?.Invoke(o));
        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ClusterStatusCache>();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<GatewayMetrics>();
        builder.Services.AddSingleton<ClusterStatusFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterStatusFeed>());
        builder.Services.AddSingleton<ScriptsService>();
        builder.Services.AddSingleton<StatusAnswers>();
        builder.Services.AddSingleton<LogsService>();
        builder.Services.AddRateLimiter(limiter =>
        {
            // A few MCP requests run at once and the rest wait their turn in order, outside the thread pool's queue,
            // where the nodes' pushed changes would otherwise wait behind them (staleness under load).
            limiter.RejectionStatusCode = StatusCodes.Status503ServiceUnavailable;
            limiter.AddConcurrencyLimiter(McpLimiter, o =>
            {
                o.PermitLimit = Math.Max(4, Environment.ProcessorCount * 2);
                o.QueueLimit = 10_000;
                o.QueueProcessingOrder = QueueProcessingOrder.OldestFirst;
            });
        });
        builder.Services.AddMcpServer(o => o.ServerInfo = new() { Name = "brummer", Version = typeof(GatewayExtensions).Assembly.GetName().Version?.ToString() ?? "0.0.0" })
            .WithHttpTransport()
            .WithTools<ScriptTools>()
            .WithTools<NodeTools>()
            .WithTools<LogTools>()
            .WithRequestFilters(filters => filters.AddCallToolFilter(RequiredArgumentsFilter.Wrap));
        return builder;
    }

    public static WebApplication MapBrummerGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseRateLimiter();
        app.MapMcp("/mcp").RequireRateLimiting(McpLimiter);
        app.MapProcessesApi();
        return app;
    }

    /// <summary>Completes once the gateway has read every node known at startup.</summary>
    public static Task WaitForClusterViewAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<ClusterStatusFeed>().FirstSync.WaitAsync(cancellationToken);
}
