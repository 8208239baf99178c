using System.Collections.Concurrent;
using System.Diagnostics.Metrics;
using Brummer.Grains.Logs;
using Brummer.Grains.Telemetry;
using Brummer.Tests.Otlp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using static Brummer.Telemetry.BrummerTelemetry;

namespace Brummer.Cli.Tests;

/// <summary>
/// The exporter of script output as OTLP logs against a real receiver: both transports the SDK's settings name, the
/// headers a dashboard's API key travels in, and the bound that keeps a flood from growing the node: what does not fit
/// is dropped and counted, and every line is either sent or counted.
/// </summary>
public sealed class ScriptLogExportTests
{
    [Theory]
    [InlineData("grpc")]
    [InlineData("http/protobuf")]
    public async Task Exporter_SendsEachLineAsARecordOfTheScriptsService_OverTheConfiguredTransport(string protocol)
    {
        await using var receiver = await OtlpReceiver.StartAsync(grpc: protocol == "grpc");
        var options = ScriptLogExportOptions.FromSettings(Settings(receiver.Endpoint, protocol, "x-otlp-api-key=s%3Dcret"))!;
        using var meters = new Meters();
        using var exporter = new ScriptLogExporter(options, "n1", meters.Node, TimeProvider.System, NullLogger<ScriptLogExporter>.Instance);
        await exporter.StartAsync(TestContext.Current.CancellationToken);
        var web = new Script(exporter, "web");
        var at = DateTimeOffset.UtcNow;

        web.Prints(LogSource.Stdout, "ready on :3000", at);
        web.Prints(LogSource.Stderr, "deprecated option", at);
        new Script(exporter, "db").Prints(LogSource.Stdout, "accepting connections", at);

        var lines = await receiver.WaitForLogsAsync(l => l.Scope.Name == ScriptOutputScope, count: 3);
        var ready = Assert.Single(lines, l => l.Body == "ready on :3000");
        Assert.Equal("web", ready.Resource.GetString("service.name"));
        Assert.Equal("n1/web", ready.Resource.GetString("service.instance.id"));
        Assert.Equal("n1", ready.Resource.GetString("host.name"));
        Assert.Equal(9, ready.SeverityNumber);
        Assert.True(ready.Attributes.Has(Attributes.Sequence, 1));
        Assert.Equal((ulong)(at.UtcTicks - DateTimeOffset.UnixEpoch.UtcTicks) * 100, ready.TimeUnixNano);
        Assert.Equal(13, Assert.Single(lines, l => l.Body == "deprecated option").SeverityNumber);
        Assert.Equal("db", Assert.Single(lines, l => l.Body == "accepting connections").Resource.GetString("service.name"));
        Assert.Equal("s=cret", receiver.LastHeaders!["x-otlp-api-key"]);
        Assert.Empty(receiver.Errors);
        await exporter.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Exporter_FallingBehindAFlood_DropsWhatTheLogBufferEvictedAndCountsIt_SendingTheNewest()
    {
        const int Lines = 20_000;
        const int Held = 256;
        await using var receiver = await OtlpReceiver.StartAsync();
        var options = ScriptLogExportOptions.FromSettings(Settings(receiver.Endpoint, "http/protobuf"))! with { MaxBatch = 100 };
        using var meters = new Meters();
        using var exporter = new ScriptLogExporter(options, "n1", meters.Node, TimeProvider.System, NullLogger<ScriptLogExporter>.Instance);
        var flood = new Script(exporter, "flood", Held);

        // A flood before the exporter reads anything: the process's buffer keeps the newest 256, the rest are gone.
        for (var i = 1; i <= Lines; i++)
        {
            flood.Prints(LogSource.Stdout, $"line {i}", DateTimeOffset.UtcNow);
        }

        await exporter.StartAsync(TestContext.Current.CancellationToken);
        await exporter.StopAsync(TestContext.Current.CancellationToken);

        Assert.Equal(Lines - Held, meters.Total(Node.LogExportDropped.Name, "queue_full"));
        Assert.Equal(Held, meters.Total(Node.LogExported.Name));
        var bodies = receiver.Logs.Select(l => l.Body).ToHashSet();
        Assert.Equal(Held, bodies.Count);
        Assert.Contains($"line {Lines}", bodies);
        Assert.Contains($"line {Lines - Held + 1}", bodies);
        Assert.DoesNotContain($"line {Lines - Held}", bodies);
    }

    [Fact]
    public async Task Exporter_WhileAScriptPrints_SendsEveryLineOnceInOrder_WhenItKeepsUp()
    {
        const int Lines = 3_000;
        await using var receiver = await OtlpReceiver.StartAsync();
        var options = ScriptLogExportOptions.FromSettings(Settings(receiver.Endpoint, "http/protobuf"))! with { BatchDelay = TimeSpan.FromMilliseconds(20) };
        using var meters = new Meters();
        using var exporter = new ScriptLogExporter(options, "n1", meters.Node, TimeProvider.System, NullLogger<ScriptLogExporter>.Instance);
        await exporter.StartAsync(TestContext.Current.CancellationToken);
        var (api, worker) = (new Script(exporter, "api", Lines), new Script(exporter, "worker", Lines));

        // Two scripts printing while the exporter runs: it goes idle and is woken again, and never loses its place.
        for (var i = 1; i <= Lines; i++)
        {
            api.Prints(LogSource.Stdout, $"api {i}", DateTimeOffset.UtcNow);
            if (i % 3 == 0)
            {
                worker.Prints(LogSource.Stderr, $"worker {i}", DateTimeOffset.UtcNow);
            }

            if (i % 500 == 0)
            {
                await Brummer.Tests.Eventually.UntilAsync(() => meters.Total(Node.LogExported.Name) == i + (i / 3), "the exporter to catch up");
            }
        }

        var apiLines = receiver.Logs.Where(l => l.Resource.GetString("service.name") == "api").Select(l => l.Body).ToList();
        Assert.Equal(Enumerable.Range(1, Lines).Select(i => $"api {i}"), apiLines);
        Assert.Equal(Lines / 3, receiver.Logs.Count(l => l.Resource.GetString("service.name") == "worker" && l.SeverityNumber == 13));
        Assert.Equal(0, meters.Total(Node.LogExportDropped.Name, "queue_full"));
        await exporter.StopAsync(TestContext.Current.CancellationToken);
    }

    [Fact]
    public async Task Exporter_WithAnUnreachableEndpoint_CountsTheBatchAsFailed()
    {
        var closed = new Uri($"http://127.0.0.1:{Silo.FreePort.Next()}");
        var options = ScriptLogExportOptions.FromSettings(Settings(closed, "http/protobuf"))! with { BatchDelay = TimeSpan.FromMilliseconds(10) };
        using var meters = new Meters();
        using var exporter = new ScriptLogExporter(options, "n1", meters.Node, TimeProvider.System, NullLogger<ScriptLogExporter>.Instance);
        await exporter.StartAsync(TestContext.Current.CancellationToken);

        new Script(exporter, "web").Prints(LogSource.Stdout, "nobody hears this", DateTimeOffset.UtcNow);

        await Brummer.Tests.Eventually.UntilAsync(() => meters.Total(Node.LogExportDropped.Name, "failed") == 1, "the failed batch counted");
        await exporter.StopAsync(TestContext.Current.CancellationToken);
    }

    [Theory]
    [InlineData("http://127.0.0.1:4318", null, null, "http://127.0.0.1:4318/opentelemetry.proto.collector.logs.v1.LogsService/Export")]
    [InlineData("http://127.0.0.1:4318/", "http/protobuf", null, "http://127.0.0.1:4318/v1/logs")]
    [InlineData("http://127.0.0.1:4318", "http/protobuf", "http://collector:4318/custom/logs", "http://collector:4318/custom/logs")]
    public void Settings_FollowTheOtlpExporterSpec(string endpoint, string? protocol, string? logsEndpoint, string expected)
    {
        var options = ScriptLogExportOptions.FromSettings(name => name switch
        {
            "OTEL_EXPORTER_OTLP_ENDPOINT" => endpoint,
            "OTEL_EXPORTER_OTLP_PROTOCOL" => protocol,
            "OTEL_EXPORTER_OTLP_LOGS_ENDPOINT" => logsEndpoint,
            _ => null,
        });

        Assert.Equal(new Uri(expected), options!.Endpoint);
    }

    [Fact]
    public void Settings_WithoutAnEndpoint_ExportNothing() => Assert.Null(ScriptLogExportOptions.FromSettings(_ => null));

    [Theory]
    [InlineData("OTEL_EXPORTER_OTLP_ENDPOINT", "localhost:4317", "is not an http:// or https:// URL")]
    [InlineData("OTEL_EXPORTER_OTLP_PROTOCOL", "http/json", "use 'grpc' or 'http/protobuf'")]
    [InlineData("OTEL_EXPORTER_OTLP_HEADERS", "api-key", "is not key=value")]
    [InlineData("BRUMMER_OTEL_LOGS_RATE", "fast", "is not a whole number of records per second")]
    public void Settings_ThatCannotBeUsed_SayWhatToWrite(string name, string value, string message)
    {
        var error = Assert.Throws<OtlpSettingsException>(() => ScriptLogExportOptions.FromSettings(key =>
            key == name ? value : key == "OTEL_EXPORTER_OTLP_ENDPOINT" ? "http://127.0.0.1:4317" : null));
        Assert.Contains(message, error.Message, StringComparison.Ordinal);
    }

    private static Func<string, string?> Settings(Uri endpoint, string protocol, string? headers = null) => name => name switch
    {
        "OTEL_EXPORTER_OTLP_ENDPOINT" => endpoint.ToString(),
        "OTEL_EXPORTER_OTLP_PROTOCOL" => protocol,
        "OTEL_EXPORTER_OTLP_HEADERS" => headers,
        _ => null,
    };

    /// <summary>A script's log, as capture fills it, and its export.</summary>
    private sealed class Script(ScriptLogExporter exporter, string name, int lines = 1000)
    {
        private readonly LogBuffer _log = new(lines);
        private ScriptOutputExport? _export;

        public void Prints(LogSource stream, string text, DateTimeOffset at)
        {
            _export ??= exporter.For(name, _log);
            _log.Append(stream, text, at);
            _export.Appended();
        }
    }

    /// <summary>The node's meter, and a listener adding up what its counters count.</summary>
    private sealed class Meters : IDisposable
    {
        private readonly ServiceProvider _services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        private readonly MeterListener _listener = new();
        private readonly ConcurrentDictionary<(string Name, string? Reason), long> _totals = new();

        public Meters()
        {
            Node = new NodeMetrics(_services.GetRequiredService<IMeterFactory>(), "n1");
            _listener.InstrumentPublished = (instrument, listener) =>
            {
                if (instrument.Meter.Name == Name)
                {
                    listener.EnableMeasurementEvents(instrument);
                }
            };
            _listener.SetMeasurementEventCallback<long>((instrument, value, tags, _) =>
            {
                string? reason = null;
                foreach (var tag in tags)
                {
                    if (tag.Key == Attributes.Reason)
                    {
                        reason = tag.Value as string;
                    }
                }

                _totals.AddOrUpdate((instrument.Name, reason), value, (_, total) => total + value);
            });
            _listener.Start();
        }

        public NodeMetrics Node { get; }

        public long Total(string name, string? reason = null) => _totals.GetValueOrDefault((name, reason));

        public void Dispose()
        {
            _listener.Dispose();
            _services.Dispose();
        }
    }
}
