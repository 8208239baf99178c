using System.CommandLine;

namespace Brummer.Cli.Commands;

/// <summary>The telemetry options of the commands that run a node (<c>up</c>, <c>node</c>).</summary>
internal sealed class TelemetryCommandOptions
{
    public Option<string> OtelLogs { get; } = new("--otel-logs")
    {
        Description = "Send every script's output as OpenTelemetry logs (each script a service) when an OTLP endpoint is " +
            "configured (OTEL_EXPORTER_OTLP_ENDPOINT); 'off' keeps output on the node. Brummer's own metrics, traces and logs " +
            "go to that endpoint either way.",
        DefaultValueFactory = _ => "on",
        CustomParser = result => result.Tokens is [] ? "on" : result.Tokens[0].Value.ToLowerInvariant(),
        Validators =
        {
            result =>
            {
                if (result.GetValueOrDefault<string>() is not ("on" or "off"))
                {
                    result.AddError("--otel-logs must be 'on' or 'off'.");
                }
            },
        },
    };

    /// <summary>Only <c>node</c> has it: <c>up</c> serves /metrics on its gateway port.</summary>
    public Option<int> MetricsPort { get; } = new("--metrics-port")
    {
        Description = "Serve this node's metrics in Prometheus text format at http://127.0.0.1:PORT/metrics (loopback only). Off by default.",
        Validators = { Validate.Port("--metrics-port", allowZero: false) },
    };

    public bool ExportOutputLogs(ParseResult parse) => parse.GetValue(OtelLogs) != "off";
}
