using System.Globalization;
using Brummer.Telemetry;
using Brummer.Tests;
using Brummer.Tests.Otlp;
using static Brummer.Telemetry.BrummerTelemetry;

namespace Brummer.Cli.Tests;

/// <summary>
/// What a dashboard watcher sees of a real <c>brummer up</c> through a real OTLP endpoint (a receiver in the test that
/// decodes the protobuf): a script that prints, fails with a stack trace and is restarted through MCP shows as its own
/// service with its lines as logs, its runs as traces under the MCP call that caused them, and its metrics; and the
/// same metrics are scraped from /metrics in Prometheus text format.
/// </summary>
public sealed class TelemetryExportTests
{
    private const string Stack = "TypeError: Cannot read properties of undefined (reading 'port')";

    [Fact]
    public async Task Up_WithAnOtlpEndpoint_ExportsEachScriptAsAServiceWithLogsTracesAndMetrics()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await OtlpReceiver.StartAsync();
        using var stack = new StackDirectory(new Dictionary<string, string>
        {
            ["api"] = Dummy.Command(
                "say:listening on http://localhost:3000",
                "err:warming up the cache",
                $"err:{Stack}",
                "err:    at start (/app/server.js:12:7)",
                "err:    at Object.<anonymous> (/app/server.js:20:1)",
                "exit:1"),
        });
        var port = Silo.FreePort.Next();
        await using var brummer = BrummerProcess.Start(
            Otlp(receiver),
            "up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo");
        var mcpUrl = await brummer.McpUrlAsync();

        await using (var mcp = await McpCalls.ConnectAsync(mcpUrl))
        {
            await mcp.CallToolAsync("scripts_run", new Dictionary<string, object?> { ["name"] = "api" }, cancellationToken: ct);
            await mcp.CallToolAsync("wait_for", new Dictionary<string, object?> { ["name"] = "api", ["condition"] = "exited", ["timeout_seconds"] = 60 }, cancellationToken: ct);
            await mcp.CallToolAsync("scripts_status", cancellationToken: ct); // the plain poll: counted, not traced
            var restarted = await mcp.CallToolAsync("scripts_restart", new Dictionary<string, object?> { ["name"] = "api" }, cancellationToken: ct);
            Assert.True(restarted.IsError is not true);
        }

        // Logs: each line a record of the script's own service on its node, stderr above stdout, the stack as one ERROR.
        var stdout = (await receiver.WaitForLogsAsync(l => l.Body == "listening on http://localhost:3000" && l.Resource.GetString("service.name") == "api"))[0];
        Assert.Equal("solo", stdout.Resource.GetString("host.name"));
        Assert.Equal(9, stdout.SeverityNumber);
        Assert.Equal("stdout", stdout.Attributes.GetString(Attributes.Stream));
        var stderr = (await receiver.WaitForLogsAsync(l => l.Body == "warming up the cache"))[0];
        Assert.Equal(13, stderr.SeverityNumber);
        var error = (await receiver.WaitForLogsAsync(l => l.SeverityNumber == 17 && l.Resource.GetString("service.name") == "api"))[0];
        Assert.StartsWith(Stack, error.Body, StringComparison.Ordinal);
        Assert.Contains("at Object.<anonymous> (/app/server.js:20:1)", error.Body, StringComparison.Ordinal);
        Assert.Equal("ERROR", error.SeverityText);
        Assert.Equal("node-error", error.Attributes.GetString(Attributes.ErrorKind));

        // Traces: the restart's run is in the trace of the MCP request that asked for it, and its lines carry that trace.
        var restartRun = (await receiver.WaitForSpansAsync(s => s.Name == Spans.ProcessRun && s.Attributes.Has(Attributes.Restarts, 1)))[0];
        Assert.True(restartRun.Attributes.Has(Attributes.Script, "api"));
        Assert.True(restartRun.Attributes.Has(Attributes.Node, "solo"));
        Assert.True(restartRun.Attributes.Has(Attributes.ExitCode, 1));
        Assert.True(restartRun.Attributes.Has(Attributes.Trigger, Triggers.Request));
        Assert.Equal(OtlpStatusCode.Error, restartRun.StatusCode);
        Assert.Contains(restartRun.Events, e => e.Name == Events.ErrorDetected);
        var mcpRequest = (await receiver.WaitForSpansAsync(s => s.TraceId == restartRun.TraceId && s.Kind == OtlpSpanKind.Server && s.ParentSpanId == string.Empty))[0];
        Assert.Contains("/mcp", mcpRequest.Attributes.GetString("url.path") ?? mcpRequest.Name, StringComparison.Ordinal);
        await Brummer.Tests.Eventually.UntilAsync(() => Ancestors(receiver, restartRun).Any(s => s.SpanId == mcpRequest.SpanId), "the run's span descends from the MCP request's");
        Assert.Contains(Ancestors(receiver, restartRun), s => s.Attributes.Has(Attributes.McpMethod, "tools/call") && s.Attributes.Has(Attributes.Tool, "scripts_restart"));
        await receiver.WaitForLogsAsync(l => l.TraceId == restartRun.TraceId && l.SpanId == restartRun.SpanId && l.Body == "listening on http://localhost:3000");
        // The poll came before the restart's request, so its span, had it been recorded, was exported before this one.
        Assert.DoesNotContain(receiver.Spans, s => s.Attributes.Has(Attributes.Tool, "scripts_status"));

        // Metrics: starts, exits by outcome and code, restarts, detected errors, output, tool calls; by node and script.
        bool Api(ReceivedDataPoint p) => p.Attributes.Has(Attributes.Script, "api") && p.Attributes.Has(Attributes.Node, "solo");
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Node.Starts.Name, p => Api(p) && p.Attributes.Has(Attributes.Trigger, Triggers.Request) && p.Value >= 2);
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Node.Exits.Name, p => Api(p) && p.Attributes.Has(Attributes.Outcome, Outcomes.Failed) && p.Attributes.Has(Attributes.ExitCode, 1) && p.Value >= 2);
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Node.Restarts.Name, p => Api(p) && p.Attributes.Has(Attributes.Trigger, Triggers.Request) && p.Value >= 1);
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Node.Errors.Name, p => Api(p) && p.Attributes.Has(Attributes.ErrorKind, "node-error") && p.Value >= 2);
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Node.LogLines.Name, p => Api(p) && p.Attributes.Has(Attributes.Stream, "stderr") && p.Value >= 8);
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Node.Processes.Name, p => Api(p) && p.Attributes.Has(Attributes.State, "failed"));
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Node.Duration.Name, p => Api(p) && p.Count >= 2);
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Gateway.ToolCalls.Name, p => p.Attributes.Has(Attributes.Tool, "scripts_restart") && p.Attributes.Has(Attributes.Outcome, Outcomes.Ok));
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Gateway.ToolCalls.Name, p => p.Attributes.Has(Attributes.Tool, "scripts_status") && p.Value >= 1);
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Gateway.ToolDuration.Name, p => p.Attributes.Has(Attributes.Tool, "scripts_run") && p.Count >= 1);
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Gateway.Staleness.Name, p => p.Count >= 1);

        // Prometheus: the same instruments, scraped in text format.
        using var http = new HttpClient();
        using var scrape = await http.GetAsync(new Uri(mcpUrl, "/metrics"), ct);
        Assert.True(scrape.IsSuccessStatusCode, $"/metrics answered {(int)scrape.StatusCode}");
        Assert.StartsWith("text/plain", scrape.Content.Headers.ContentType?.MediaType ?? string.Empty, StringComparison.Ordinal);
        var text = await scrape.Content.ReadAsStringAsync(ct);
        Assert.Contains("# TYPE brummer_process_starts_total counter", text, StringComparison.Ordinal);
        Assert.Matches(@"brummer_process_exits_total\{[^}]*brummer_script=""api""[^}]*\} 2", text);
        Assert.Contains("brummer_gateway_mcp_tool_calls_total{", text, StringComparison.Ordinal);

        Assert.Empty(receiver.Errors);
    }

    [Fact]
    public async Task Cluster_McpCallAtTheGateway_AndTheRunItCausesOnTheNode_AreOneTrace_AndTheNodeServesMetrics()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var receiver = await OtlpReceiver.StartAsync();
        using var stack = new StackDirectory(new Dictionary<string, string> { ["server"] = Dummy.Command("say:ready", "sleep") });
        var (silo, gateway, metrics) = (Silo.FreePort.Next(), Silo.FreePort.Next(), Silo.FreePort.Next());
        await using var cluster = new ProcessCluster($"dev://127.0.0.1:{silo}?gateway={gateway}");
        await cluster.StartNodeAsync("a", stack.Path, silo, gateway, Otlp(receiver), "--metrics-port", metrics.ToString(CultureInfo.InvariantCulture));
        var mcp = await cluster.StartGatewayAsync(Otlp(receiver));

        await mcp.CallAsync("scripts_run", new { name = "server", node = "a" });

        // The node's start span is in the trace the gateway's MCP request started, two OS processes apart, at once.
        var start = (await receiver.WaitForSpansAsync(s => s.Name == Spans.ProcessStart && s.Attributes.Has(Attributes.Script, "server")))[0];
        Assert.Equal("brummer-node", start.Resource.GetString("service.name"));
        Assert.Equal("a", start.Resource.GetString("service.instance.id"));
        var request = (await receiver.WaitForSpansAsync(s => s.TraceId == start.TraceId && s.Kind == OtlpSpanKind.Server && s.ParentSpanId == string.Empty))[0];
        Assert.Equal("brummer-gateway", request.Resource.GetString("service.name"));
        await Brummer.Tests.Eventually.UntilAsync(() => Ancestors(receiver, start).Any(s => s.SpanId == request.SpanId), "the start's span descends from the gateway's MCP request");
        Assert.Contains(Ancestors(receiver, start), s => s.Resource.GetString("service.name") == "brummer-node" && s.Kind == OtlpSpanKind.Server && s.Name.Contains("RunAsync", StringComparison.Ordinal));

        // The run's span joins the same trace when the run ends; the stop asked for is traced under its own request.
        await mcp.CallAsync("scripts_stop", new { name = "server", node = "a" });
        var run = (await receiver.WaitForSpansAsync(s => s.Name == Spans.ProcessRun && s.Attributes.Has(Attributes.Script, "server")))[0];
        Assert.Equal(start.TraceId, run.TraceId);
        Assert.True(run.Attributes.Has(Attributes.Outcome, Outcomes.Stopped));
        var stop = (await receiver.WaitForSpansAsync(s => s.Name == Spans.ProcessStop))[0];
        await Brummer.Tests.Eventually.UntilAsync(
            () => Ancestors(receiver, stop).Any(s => s.Resource.GetString("service.name") == "brummer-gateway" && s.Kind == OtlpSpanKind.Server),
            "the stop's span descends from the gateway's MCP request");

        await mcp.CallAsync("scripts_run", new { name = "server", node = "a" });

        // The node's own /metrics (loopback), and nothing for a page that rebinds its name to the node's address.
        using var http = new HttpClient();
        var scrape = new Uri($"http://127.0.0.1:{metrics.ToString(CultureInfo.InvariantCulture)}/metrics");
        var text = await Brummer.Tests.Eventually.UntilAsync(
            () => http.GetStringAsync(scrape, ct), t => t.Contains("brummer_process_starts_total{", StringComparison.Ordinal), "the node's start counter in its scrape");
        Assert.Matches(@"brummer_process_count\{[^}]*brummer_process_state=""running""[^}]*\} 1", text);
        using var rebound = new HttpRequestMessage(HttpMethod.Get, scrape);
        rebound.Headers.Host = $"attacker.example:{metrics.ToString(CultureInfo.InvariantCulture)}";
        using var refused = await http.SendAsync(rebound, ct);
        Assert.False(refused.IsSuccessStatusCode, $"a rebound Host got {(int)refused.StatusCode}");
    }

    [Theory]
    [InlineData(false)] // run through MCP
    [InlineData(true)] // started with the node
    public async Task Up_RestartByPolicy_IsANewTraceLinkedToTheRunBefore_NotPartOfTheRequestsTrace(bool autostart)
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        var command = Dummy.Command("say:up", "sleep:200", "exit:3").Replace("'", "''", StringComparison.Ordinal);
        using var stack = StackDirectory.WithFiles(("brummer.yaml", $"""
            processes:
              flaky:
                command: '{command}'
                autostart: {(autostart ? "true" : "false")}
                availability:
                  restart: on_failure
                  backoff_seconds: 0.1
                  max_restarts: 1
            """));
        var port = Silo.FreePort.Next();
        await using var brummer = BrummerProcess.Start(
            Otlp(receiver),
            "up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo");
        await using (var mcp = await McpCalls.ConnectAsync(await brummer.McpUrlAsync()))
        {
            if (!autostart)
            {
                await mcp.CallToolAsync("scripts_run", new Dictionary<string, object?> { ["name"] = "flaky" }, cancellationToken: TestContext.Current.CancellationToken);
            }
        }

        var runs = await receiver.WaitForSpansAsync(s => s.Name == Spans.ProcessRun && s.Attributes.Has(Attributes.Script, "flaky"), count: 2);
        var first = Assert.Single(runs, r => r.Attributes.Has(Attributes.Trigger, Triggers.Request));
        var second = Assert.Single(runs, r => r.Attributes.Has(Attributes.Trigger, Triggers.Restart));
        Assert.NotEqual(first.TraceId, second.TraceId);
        Assert.Equal(string.Empty, second.ParentSpanId);
        var link = Assert.Single(second.Links);
        Assert.Equal((first.TraceId, first.SpanId), (link.TraceId, link.SpanId));
        Assert.Contains(first.Events, e => e.Name == Events.Restart);

        // Nothing the run did for itself (its exit watch, the restart's wait) joined the first trace afterwards. What
        // began before the run (the MCP request and the grain call that started it) may end after so short a run on a
        // busy machine: it is the run's ancestor, not its work.
        Assert.All(
            receiver.Spans.Where(s => s.TraceId == first.TraceId && s.StartTimeUnixNano >= first.StartTimeUnixNano),
            s => Assert.True(s.EndTimeUnixNano <= first.EndTimeUnixNano, $"{s.Name} ended after the run"));
        if (!autostart)
        {
            var request = (await receiver.WaitForSpansAsync(s => s.TraceId == first.TraceId && s.Kind == OtlpSpanKind.Server && s.ParentSpanId == string.Empty))[0];
            Assert.True(request.EndTimeUnixNano < second.StartTimeUnixNano);
        }
    }

    [Fact]
    public async Task Up_WithOtelLogsOff_SendsNoOutputButStillItsOwnTelemetry()
    {
        await using var receiver = await OtlpReceiver.StartAsync();
        using var stack = new StackDirectory(new Dictionary<string, string> { ["quiet"] = Dummy.Command("say:not for the dashboard", "exit:0") });
        var port = Silo.FreePort.Next();
        await using var brummer = BrummerProcess.Start(
            Otlp(receiver),
            "up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo", "--otel-logs", "off");
        var mcpUrl = await brummer.McpUrlAsync();
        await using (var mcp = await McpCalls.ConnectAsync(mcpUrl))
        {
            await mcp.CallToolAsync("scripts_run", new Dictionary<string, object?> { ["name"] = "quiet" }, cancellationToken: TestContext.Current.CancellationToken);
        }

        // The run's span ends only after its output was captured, so by then a line would have been on its way.
        await receiver.WaitForSpansAsync(s => s.Name == Spans.ProcessRun && s.Attributes.Has(Attributes.Script, "quiet"));
        await receiver.WaitForDataPointAsync(BrummerTelemetry.Node.Exits.Name, p => p.Attributes.Has(Attributes.Script, "quiet"));
        Assert.DoesNotContain(receiver.Logs, l => l.Scope.Name == ScriptOutputScope);
    }

    [Fact]
    public async Task Up_WithAnUnusableOtlpSetting_SaysWhichAndExits()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });
        var (exitCode, output) = await BrummerProcess.RunAsync(
            new Dictionary<string, string> { ["OTEL_EXPORTER_OTLP_ENDPOINT"] = "http://127.0.0.1:4318", ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/json" },
            "up", "--dir", stack.Path, "--port", Silo.FreePort.Next().ToString(CultureInfo.InvariantCulture));

        Assert.NotEqual(0, exitCode);
        Assert.Contains("OTLP protocol 'http/json' is not supported for script logs: use 'grpc' or 'http/protobuf'.", output, StringComparison.Ordinal);
    }

    /// <summary>Where a Brummer host sends its telemetry: the receiver, over OTLP/HTTP, exporting often.</summary>
    private static Dictionary<string, string> Otlp(OtlpReceiver receiver) => new()
    {
        ["OTEL_EXPORTER_OTLP_ENDPOINT"] = receiver.Endpoint.ToString(),
        ["OTEL_EXPORTER_OTLP_PROTOCOL"] = "http/protobuf",
        ["OTEL_METRIC_EXPORT_INTERVAL"] = "500",
        ["OTEL_BSP_SCHEDULE_DELAY"] = "200",
        ["OTEL_BLRP_SCHEDULE_DELAY"] = "200",
    };

    private static IEnumerable<ReceivedSpan> Ancestors(OtlpReceiver receiver, ReceivedSpan span)
    {
        var byId = receiver.Spans.Where(s => s.TraceId == span.TraceId).GroupBy(s => s.SpanId).ToDictionary(g => g.Key, g => g.First());
        for (var parent = span.ParentSpanId; parent.Length > 0 && byId.TryGetValue(parent, out var next); parent = next.ParentSpanId)
        {
            yield return next;
        }
    }
}
