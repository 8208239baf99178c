using System.Collections.Frozen;
using System.Net.Security;
using Brummer.Gateway.Apis;
using Brummer.Gateway.Dashboard;
using Brummer.Gateway.Events;
using Brummer.Gateway.Nodes;
using Brummer.Gateway.Security;
using Brummer.Gateway.Services;
using Brummer.Gateway.Status;
using Brummer.Gateway.Tools;
using Brummer.Gateway.Traffic;
using Brummer.Gateway.Waiting;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using OpenTelemetry.Metrics;

namespace Brummer.Gateway;

public static class GatewayExtensions
{
    public const int DefaultPort = 7777;

    private const string AllowedOriginsPolicy = "allowed-origins";

    /// <summary>
    /// The gateway's services: cluster status cache and its feed, the service layer, security (tokens, roles, browser
    /// checks) and the MCP server (streamable HTTP). Needs an <see cref="IClusterClient"/> (a co-hosted silo's or an
    /// Orleans client's).
    /// </summary>
    public static IHostApplicationBuilder AddBrummerGateway(this IHostApplicationBuilder builder, Action<GatewayOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        // Settings from configuration (e.g. Brummer__Gateway__SilenceLimit=00:00:30), then the host's own.
        builder.Services.AddOptions<GatewayOptions>().BindConfiguration("Brummer:Gateway").Configure(o => configure?.Invoke(o));
        var settings = new GatewayOptions();
        builder.Configuration.GetSection("Brummer:Gateway").Bind(settings);
        configure?.Invoke(settings);

        builder.Services.TryAddSingleton(TimeProvider.System);
        builder.Services.AddSingleton<ClusterStatusCache>();
        builder.Services.AddMetrics();
        builder.Services.AddSingleton<GatewayMetrics>();
        // /metrics in Prometheus text format: whatever the host's meter provider collects (ServiceDefaults names the meters).
        builder.Services.ConfigureOpenTelemetryMeterProvider(metrics => metrics.AddPrometheusExporter());
        builder.Services.AddSingleton<ClusterStatusFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterStatusFeed>());
        builder.Services.AddSingleton<ClusterEventFeed>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<ClusterEventFeed>());
        builder.Services.TryAddSingleton<NodeClients>(sp => new SharedNodeClients(sp.GetRequiredService<IClusterClient>()));
        builder.Services.AddHttpContextAccessor();
        builder.Services.AddSingleton<RequestArrival>();
        builder.Services.AddSingleton<ClusterTargets>();
        builder.Services.AddSingleton<NodeCalls>();
        builder.Services.AddSingleton<ScriptsService>();
        builder.Services.AddSingleton<StackService>();
        builder.Services.AddSingleton<StatusAnswers>();
        builder.Services.AddSingleton<LogsService>();
        builder.Services.AddSingleton<RecordsService>();
        builder.Services.AddSingleton<ControlActors>();
        builder.Services.AddSingleton<WaitService>();

        builder.Services.AddProblemDetails();
        builder.Services.AddBrummerOpenApi();
        builder.Services.AddSingleton<TokenStore>();
        builder.Services.AddTokenAuthentication();
        builder.Services.AddRoleAuthorization();
        if (settings.AllowedOrigins.Count > 0)
        {
            builder.Services.AddCors(cors => cors.AddPolicy(AllowedOriginsPolicy, policy => policy
                .WithOrigins([.. settings.AllowedOrigins])
                .AllowAnyHeader()
                .AllowAnyMethod()
                .WithExposedHeaders("Mcp-Session-Id", "WWW-Authenticate")));
        }

        Type[] toolTypes = settings.ReadOnly
            ? [typeof(ScriptTools), typeof(NodeTools), typeof(LogTools), typeof(WaitTools), typeof(RecordTools)]
            : [typeof(ScriptTools), typeof(ControlTools), typeof(StackTools), typeof(NodeTools), typeof(LogTools), typeof(WaitTools), typeof(RecordTools)];
        var access = new ToolAccess(toolTypes);
        var arguments = new ToolArguments(toolTypes);
        // Notifications go out on sessions kept beside the stateless transport (McpSessionEndpoint), not on SDK sessions.
        builder.Services.AddSingleton<NotificationSessions>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<NotificationSessions>());
#pragma warning disable MCP9005 // Logging is deprecated from MCP 2026-07-28 on; initialize-handshake clients still use it.
        var mcp = builder.Services.AddMcpServer(o =>
            {
                o.ServerInfo = new() { Name = "brummer", Version = typeof(GatewayExtensions).Assembly.GetName().Version?.ToString() ?? "0.0.0" };
                o.Capabilities = new() { Resources = new() { Subscribe = true }, Logging = new() };
            })
            .WithHttpTransport()
            .WithListResourcesHandler(LogResources.ListAsync)
            .WithListResourceTemplatesHandler(LogResources.ListTemplatesAsync)
            .WithReadResourceHandler(LogResources.ReadAsync)
            .WithSubscribeToResourcesHandler(LogResources.SubscribeAsync)
            .WithUnsubscribeFromResourcesHandler(LogResources.UnsubscribeAsync)
            .WithSetLoggingLevelHandler(LogResources.SetLevelAsync)
#pragma warning restore MCP9005
            .WithTools<ScriptTools>()
            .WithTools<NodeTools>()
            .WithTools<LogTools>()
            .WithTools<WaitTools>()
            .WithTools<RecordTools>();
        if (!settings.ReadOnly)
        {
            mcp.WithTools<ControlTools>();
            mcp.WithTools<StackTools>();
        }

        builder.Services.AddSingleton(sp => new ToolCallMetrics(
            sp.GetRequiredService<GatewayMetrics>(),
            ToolMethods.Of(toolTypes).Select(m => m.Name).ToFrozenSet(StringComparer.Ordinal)));
        mcp.WithRequestFilters(filters =>
            {
                // Outermost first: refusals become tool errors, then each call is measured (seeing refusals as such),
                // then the role check, then the arguments' shape.
                filters.AddCallToolFilter(ToolErrorFilter.Wrap);
                filters.AddCallToolFilter(next => (context, cancellationToken) =>
                    context.Services!.GetRequiredService<ToolCallMetrics>().Measure(next)(context, cancellationToken));
                filters.AddCallToolFilter(access.GuardCall);
                filters.AddCallToolFilter(next => (context, cancellationToken) =>
                {
                    // The client's name for the records nodes keep; null in stateless mode, which keeps no initialize.
                    if (context.Server.ClientInfo?.Name is { } client &&
                        context.Services?.GetService<IHttpContextAccessor>()?.HttpContext is { } http)
                    {
                        http.Items[ControlActors.McpClientItem] = client;
                    }

                    return next(context, cancellationToken);
                });
                filters.AddCallToolFilter(next => async (context, cancellationToken) =>
                    context.Params is { } call && arguments.Problem(call.Name, call.Arguments) is { } problem
                        ? throw new GatewayException(GatewayErrorKind.BadRequest, problem)
                        : await next(context, cancellationToken));
                filters.AddListToolsFilter(access.FilterList);
            });
        return builder;
    }

    public static WebApplication MapBrummerGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var settings = app.Services.GetRequiredService<IOptions<GatewayOptions>>().Value;
        // Whatever 4xx the framework answers with an empty body (unknown route, wrong method) becomes problem details.
        app.UseStatusCodePages();
        // First: refusals by the guards below are requests too.
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/api", StringComparison.Ordinal), api => api.UseMiddleware<ApiMetrics>());
        app.UseMiddleware<BrowserGuard>();
        if (settings.AllowedOrigins.Count > 0)
        {
            app.UseCors(AllowedOriginsPolicy);
        }

        app.UseAuthentication();
        app.UseAuthorization();
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/mcp", StringComparison.Ordinal), mcp => mcp.UseMiddleware<McpEnvelopeGuard>().UseMiddleware<McpSessionEndpoint>());
        // A lane per kind of request, outside the thread pool's queue, where the nodes' pushed changes would otherwise
        // wait behind them (staleness under load), and where status never waits behind searches.
        app.UseMiddleware<LaneGate>();
        app.UseWhen(c => c.Request.Path.StartsWithSegments("/mcp", StringComparison.Ordinal), mcp => mcp.UseMiddleware<McpStatusPollResponder>());
        app.MapMcp("/mcp").RequireAuthorization(RoleAuthorization.Policy(GatewayRole.Read));
        // Behind the same browser guard and token rules as the API's reads: a scraper sends a read token when tokens are on.
        app.MapPrometheusScrapingEndpoint("/metrics").RequireAuthorization(RoleAuthorization.Policy(GatewayRole.Read));
        app.MapProcessesApi(settings.ReadOnly);
        app.MapDashboard(settings.ReadOnly);
        // The API's description, to whoever may read the API.
        app.MapOpenApi(OpenApiDocumentation.Path)
            .RequireAuthorization(RoleAuthorization.Policy(GatewayRole.Read))
            .WithMetadata(new LaneAttribute(RequestLane.Reads));
        return app;
    }

    /// <summary>
    /// Gives each node its own Orleans client connection (to that node's gateway port), so that a node that hangs
    /// holds up only its own calls. For gateways outside the nodes' processes; <paramref name="configure"/> applies
    /// what every client of the cluster needs (cluster ids, TLS) — the clustering itself is each node's endpoint.
    /// </summary>
    /// <param name="pushTls">The cluster's mutual TLS for push connections to nodes; null when the cluster has none.</param>
    public static IServiceCollection AddDirectNodeClients(this IServiceCollection services, Action<IClientBuilder> configure, Func<SslClientAuthenticationOptions>? pushTls = null) =>
        services.AddSingleton<NodeClients>(sp => ActivatorUtilities.CreateInstance<DirectNodeClients>(sp, configure, new PushConnectionSecurity(pushTls)));

    /// <summary>Completes once the gateway has read every node known at startup.</summary>
    public static Task WaitForClusterViewAsync(this IServiceProvider services, CancellationToken cancellationToken) =>
        services.GetRequiredService<ClusterStatusFeed>().FirstSync.WaitAsync(cancellationToken);
}
