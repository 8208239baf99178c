using System.Runtime.InteropServices;
using Brummer.LoadTest;

// Linux only: the cluster is read through /proc, scripts are started through sh and signalled with kill(1).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]

// Load test: MCP clients calling scripts_status at a gateway while 100 scripts on 2 nodes churn (raw HTTP and idle
// baselines from the same run; docs/benchmarks.md "Cluster load"), while one script floods its output
// (idle baseline from the same run; "Flooding output"), or while other clients loop a catastrophic logs_search
// (idle baseline from the same run; "Search contention"), or with OpenTelemetry export off and on ("Cost of telemetry").
// The OTLP sink of the telemetry scenarios runs as a process of its own (OtlpSink.cs).
if (args is [OtlpSink.Argument, var sinks])
{
    return await OtlpSink.ServeAsync(int.Parse(sinks, System.Globalization.CultureInfo.InvariantCulture));
}

if (args is ["--help"] or ["-h"])
{
    Console.WriteLine(LoadTestOptions.Usage);
    return 0;
}

LoadTestOptions options;
try
{
    options = LoadTestOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"brummer load test: {ex.Message}\n\n{LoadTestOptions.Usage}");
    return 2;
}

if (!File.Exists(options.BrummerDll))
{
    Console.Error.WriteLine($"brummer load test: {options.BrummerDll} not found (build the tool, or pass --brummer PATH)");
    return 2;
}

// Ctrl+C, SIGTERM and SIGHUP all end the run the same way: cancel, then stop the gateway and the nodes (which stop
// their scripts); nothing started by the run is left behind.
using var cancel = new CancellationTokenSource();
void Cancel(PosixSignalContext context)
{
    context.Cancel = true;
    LoadRun.Log($"{context.Signal}: stopping the run and the cluster");
    cancel.Cancel();
}

using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Cancel);

var runDirectory = Path.Combine(Path.GetTempPath(), "brummer-load-" + Guid.NewGuid().ToString("n")[..8]);
Directory.CreateDirectory(runDirectory);
var failed = false;
try
{
    IReport report = options.Scenario switch
    {
        LoadScenario.Flood => await new FloodRun(options).RunAsync(runDirectory, cancel.Token),
        LoadScenario.Contention => await new ContentionRun(options).RunAsync(runDirectory, cancel.Token),
        LoadScenario.Starts => await new StartsRun(options).RunAsync(runDirectory, cancel.Token),
        LoadScenario.StackDag => await new StackDagRun(options).RunAsync(runDirectory, cancel.Token),
        LoadScenario.TelemetryStatus => await new TelemetryRun(options).RunStatusAsync(runDirectory, cancel.Token),
        LoadScenario.TelemetryFlood => await new TelemetryRun(options).RunFloodAsync(runDirectory, cancel.Token),
        _ => await new LoadRun(options).RunAsync(runDirectory, cancel.Token),
    };
    var markdown = report.ToMarkdown(args);
    Console.WriteLine(markdown);
    if (options.Output is { } output)
    {
        await File.WriteAllTextAsync(output, markdown);
    }

    return 0;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    LoadRun.Log("cancelled; cluster stopped");
    return 130;
}
catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or HttpRequestException or IOException)
{
    failed = true;
    LoadRun.Log($"failed: {ex.Message}\nLogs of the nodes and the gateway: {runDirectory}");
    return 1;
}
finally
{
    if (!options.KeepFiles && !failed)
    {
        try
        {
            Directory.Delete(runDirectory, recursive: true);
        }
        catch (IOException)
        {
        }
    }
    else
    {
        LoadRun.Log($"kept {runDirectory}");
    }
}
