using System.Collections.Immutable;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Logs;
using Brummer.Grains.Processes;
using Brummer.Grains.Status;
using CliWrap;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brummer.Benchmarks;

/// <summary>
/// Lines per second from one process's output into its <see cref="LogBuffer"/> (10,000 lines, 4 MiB — the defaults),
/// through Brummer's capture (<see cref="OutputCapture"/>: chunked reads, bounded splitter, UTF-8 decode, ANSI strip,
/// append) against line splitters without a bound on line length, in the same run:
/// CliWrap's <c>PipeTarget.ToDelegate</c> (what <c>ProcessSupervisor</c> used before) and a plain
/// <c>StreamReader.ReadLine</c> loop, both appending to the same <see cref="LogBuffer"/>.
/// Two shapes: the bytes from memory (the capture's own CPU cost) and from a real child process through a pipe
/// (<c>cat</c> of a file, the fastest writer there is), where the first benchmark is the real thing:
/// <see cref="ProcessSupervisor"/> started on the script <c>cat FILE</c>, waited for until it has exited.
/// The figure is per line (<c>OperationsPerInvoke</c>); lines/s = 10^9 / ns.
/// </summary>
[MemoryDiagnoser]
[CategoriesColumn]
[GroupBenchmarksBy(BenchmarkLogicalGroupRule.ByCategory)]
public class LogIngestionBenchmarks : IDisposable
{
    private const string Memory = "1 ingest from memory, 100k lines";
    private const string Pipe = "2 ingest from a child process pipe, 1M lines";
    private const int MemoryLines = 100_000;
    private const int PipeLines = 1_000_000;

    private byte[] _memoryOutput = [];
    private string _file = string.Empty;
    private LogBuffer _buffer = null!;
    private LockedLogBuffer _previous = null!;
    private Action<string> _append = null!;
    private LineSink _appendSpan = null!;
    private string? _lastLine;
    private string _directory = string.Empty;
    private NodeStatusTable _table = null!;
    private ProcessSupervisor _supervisor = null!;

    [GlobalSetup]
    public void Setup()
    {
        _memoryOutput = LogOutputWorld.Output(LogOutputWorld.Lines(MemoryLines));
        _directory = Directory.CreateTempSubdirectory("brummer-bench-logs-").FullName;
        _file = Path.Combine(_directory, "output.log");
        File.WriteAllBytes(_file, LogOutputWorld.Output(LogOutputWorld.Lines(PipeLines)));

        _buffer = new LogBuffer(10_000, LogBuffer.DefaultMaxBytes);
        _previous = new LockedLogBuffer(10_000);
        _append = Append;
        _appendSpan = Append;

        var script = new ScriptDefinition("flood", $"cat {_file}", "cat", [_file], _directory, "bench");
        _table = new NodeStatusTable("bench", "127.0.0.1:1", [new ScriptInfo("bench", script.Name, script.Command, script.Source)], TimeProvider.System);
        _supervisor = new ProcessSupervisor(script, _table, new ProcessOptions(), TimeProvider.System, NullLogger.Instance);
    }

    [GlobalCleanup]
    public void Dispose()
    {
        if (_directory.Length > 0)
        {
            Directory.Delete(_directory, recursive: true);
        }

        GC.SuppressFinalize(this);
    }

    [Benchmark(OperationsPerInvoke = MemoryLines), BenchmarkCategory(Memory)]
    public Task Capture_OutputCapture() => new OutputCapture(OutputLineSplitter.DefaultMaxLineBytes, _appendSpan).CopyFromAsync(Stream());

    [Benchmark(Baseline = true, OperationsPerInvoke = MemoryLines), BenchmarkCategory(Memory)]
    public Task CliWrap_ToDelegate() => PipeTarget.ToDelegate(_append).CopyFromAsync(Stream());

    [Benchmark(OperationsPerInvoke = MemoryLines), BenchmarkCategory(Memory)]
    public void StreamReader_ReadLine() => ReadLines(Stream(), _append);

    [Benchmark(OperationsPerInvoke = MemoryLines), BenchmarkCategory(Memory)]
    public Task Before_ToDelegate_LockedRing() =>
        PipeTarget.ToDelegate(text => _previous.Append(LogSource.Stdout, text, TimeProvider.System.GetUtcNow())).CopyFromAsync(Stream());

    [Benchmark(OperationsPerInvoke = MemoryLines), BenchmarkCategory(Memory)]
    public Task Split_Only_OutputCapture() => new OutputCapture(OutputLineSplitter.DefaultMaxLineBytes, static _ => { }).CopyFromAsync(Stream());

    [Benchmark(OperationsPerInvoke = PipeLines), BenchmarkCategory(Pipe)]
    public async Task Supervisor_Cat()
    {
        await _supervisor.StartAsync();

        // One waiter at a time: the table's change signal wakes a single consumer, so a wait left pending by one
        // invocation would swallow the next invocation's wake-up. A change missed between check and wait is kept
        // as pending by the signal and taken by the next wait.
        ProcessInfo? done;
        while ((done = _table.Get("flood")) is not { Status: ProcessStatus.Succeeded or ProcessStatus.Failed })
        {
            await _table.WaitForChangeAsync(CancellationToken.None);
        }

        if (done.Status != ProcessStatus.Succeeded || _supervisor.Output.Log.LastSequence % PipeLines != 0)
        {
            throw new InvalidOperationException($"cat did not deliver every line: {done}, last sequence {_supervisor.Output.Log.LastSequence}");
        }
    }

    [Benchmark(Baseline = true, OperationsPerInvoke = PipeLines), BenchmarkCategory(Pipe)]
    public Task Cat_CliWrap_ToDelegate() => Cat(PipeTarget.ToDelegate(_append));

    [Benchmark(OperationsPerInvoke = PipeLines), BenchmarkCategory(Pipe)]
    public Task Cat_StreamReader_ReadLine() => Cat(PipeTarget.Create(stream => ReadLines(stream, _append)));

    [Benchmark(OperationsPerInvoke = PipeLines), BenchmarkCategory(Pipe)]
    public Task Cat_OutputCapture() => Cat(new OutputCapture(OutputLineSplitter.DefaultMaxLineBytes, _appendSpan));

    private static void ReadLines(Stream stream, Action<string> sink)
    {
        using var reader = new StreamReader(stream);
        while (reader.ReadLine() is { } line)
        {
            sink(line);
        }
    }

    private MemoryStream Stream() => new(_memoryOutput, writable: false);

    private Task Cat(PipeTarget target) =>
        Cli.Wrap("cat").WithArguments(_file).WithStandardOutputPipe(target).ExecuteAsync();

    /// <summary>For the splitters that make strings: the buffer's string path, keeping the last line as before.</summary>
    private void Append(string text) => Volatile.Write(ref _lastLine, _buffer.Append(LogSource.Stdout, text).SearchText);

    /// <summary>What <c>ProcessSupervisor.OnLine</c> does per line, less the analyzer and the once-per-100-ms republish.</summary>
    private void Append(ReadOnlySpan<char> text)
    {
        var stripped = AnsiEscapes.HasEscapes(text) ? AnsiEscapes.Strip(text.ToString()) : null;
        _buffer.Append(LogSource.Stdout, text, stripped is null ? text : stripped.AsSpan());
    }
}
