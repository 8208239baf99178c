using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using System.Net;
using Brummer.Telemetry;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Resources;
using OpenTelemetry.Trace;

namespace Brummer.ServiceDefaults;

/// <summary>OpenTelemetry and logging wiring shared by every Brummer host, in the style of Aspire's ServiceDefaults.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>
    /// The MCP SDK's ActivitySource and Meter: a span per MCP request (<c>tools/call scripts_run</c>, with
    /// <c>mcp.method.name</c> and <c>gen_ai.tool.name</c>) between the HTTP request and the grain calls it makes.
    /// </summary>
    private const string McpSdkTelemetry = "Experimental.ModelContextProtocol";

    /// <param name="service">The host's <c>service.name</c> (brummer, brummer-node, brummer-gateway) unless OTEL_SERVICE_NAME names another.</param>
    /// <param name="instance">Its <c>service.instance.id</c>: the node's name, so two nodes of one cluster are told apart.</param>
    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder, string service = "brummer", string? instance = null)
    {
        ArgumentNullException.ThrowIfNull(builder);

        // Orleans and ASP.NET Core are chatty at Information; a dev tool's console belongs to the user.
        builder.Logging.AddFilter("Orleans", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft", LogLevel.Warning);
        builder.Logging.AddFilter("System.Net.Http", LogLevel.Warning);
        // Orleans retries placement through Polly and logs each retry as a warning: noise while a silo shuts down.
        builder.Logging.AddFilter("Polly", LogLevel.Error);
        builder.Logging.AddFilter("ModelContextProtocol", LogLevel.Warning);
        // The silo warns about workstation GC and a first watchdog tick at start: true, but not news to a dev tool's user.
        builder.Logging.AddFilter("Orleans.Runtime.Silo", LogLevel.Error);
        builder.Logging.AddFilter("Orleans.Runtime.Watchdog", LogLevel.Error);

        builder.Logging.AddOpenTelemetry(o =>
        {
            o.IncludeFormattedMessage = true;
            o.IncludeScopes = true;
        });

        builder.Services.AddOpenTelemetry()
            .ConfigureResource(resource => resource.AddService(
                serviceName: builder.Configuration["OTEL_SERVICE_NAME"] is { Length: > 0 } named ? named : service,
                serviceNamespace: "brummer",
                serviceVersion: typeof(ServiceDefaultsExtensions).Assembly.GetName().Version?.ToString(),
                autoGenerateServiceInstanceId: instance is null,
                serviceInstanceId: instance))
            .WithMetrics(metrics => metrics
                .AddMeter(BrummerTelemetry.Name, "Microsoft.Orleans", McpSdkTelemetry)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .WithTracing(tracing => tracing
                .SetSampler(BackgroundCallSampler.ForRoots())
                .AddSource(BrummerTelemetry.Name, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application", McpSdkTelemetry)
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());

        // Export only when an OTLP endpoint is configured (e.g. by Aspire or the user); nothing leaves the machine otherwise.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }

    /// <summary>
    /// Serves the metrics in Prometheus text format at <c>http://ADDRESS:PORT/metrics</c> for a host without a web app
    /// (a node). The listener answers only requests whose Host header names that address, so a web page that rebinds
    /// its own name to this address (DNS rebinding) is not answered.
    /// </summary>
    public static IHostApplicationBuilder AddPrometheusListener(this IHostApplicationBuilder builder, IPAddress address, int port)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(address);
        var host = address.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{address}]" : address.ToString();
        builder.Services.AddOpenTelemetry().WithMetrics(metrics => metrics.AddPrometheusHttpListener(o => (o.Host, o.Port) = (host, port)));
        return builder;
    }
}
