using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using OpenTelemetry;
using OpenTelemetry.Metrics;
using OpenTelemetry.Trace;

namespace Brummer.ServiceDefaults;

/// <summary>OpenTelemetry and logging wiring shared by every Brummer host, in the style of Aspire's ServiceDefaults.</summary>
public static class ServiceDefaultsExtensions
{
    /// <summary>The ActivitySource and Meter name of Brummer's own telemetry.</summary>
    public const string TelemetryName = "Brummer";

    public static IHostApplicationBuilder AddServiceDefaults(this IHostApplicationBuilder builder)
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
            .WithMetrics(metrics => metrics
                .AddMeter(TelemetryName, "Microsoft.Orleans")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation()
                .AddRuntimeInstrumentation())
            .WithTracing(tracing => tracing
                .AddSource(TelemetryName, "Microsoft.Orleans.Runtime", "Microsoft.Orleans.Application")
                .AddAspNetCoreInstrumentation()
                .AddHttpClientInstrumentation());

        // Export only when an OTLP endpoint is configured (e.g. by Aspire or the user); nothing leaves the machine otherwise.
        if (!string.IsNullOrWhiteSpace(builder.Configuration["OTEL_EXPORTER_OTLP_ENDPOINT"]))
        {
            builder.Services.AddOpenTelemetry().UseOtlpExporter();
        }

        return builder;
    }
}
