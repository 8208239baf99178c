using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipes;
using System.Text;
using Brummer.Grains.Logs;

namespace Brummer.Grains.Tests;

/// <summary>
/// Output capture runs below every other thread of the node (<see cref="OutputScheduler"/>): every line, including
/// those read after the pipe had to be waited on, is handled on a capture thread in SCHED_IDLE, never on the pool.
/// </summary>
public sealed class OutputSchedulerTests
{
    [Fact]
    public async Task Capture_LinesArrivingOverTime_AreAllHandledOnIdlePriorityCaptureThreads()
    {
        var seen = new ConcurrentQueue<(string Line, string? Thread, int Policy)>();
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        var capture = new OutputCapture(1024, line => seen.Enqueue((line.ToString(), Thread.CurrentThread.Name, ThreadPolicy())));
        var copying = capture.CopyFromAsync(client, TestContext.Current.CancellationToken);

        // Each batch is written only once the previous one was handled: the reader had to wait on an empty pipe
        // before each, so each is read by a continuation, not by the first synchronous read.
        for (var batch = 0; batch < 5; batch++)
        {
            var bytes = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Range(0, 3).Select(i => $"batch {batch} line {i}\n")));
            await server.WriteAsync(bytes, TestContext.Current.CancellationToken);
            await server.FlushAsync(TestContext.Current.CancellationToken);
            await WaitUntilAsync(() => seen.Count == (batch + 1) * 3);
        }

        server.Dispose(); // EOF ends the capture loop
        await copying.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal(15, seen.Count);
        Assert.Equal("batch 4 line 2", seen.Last().Line);
        Assert.All(seen, s => Assert.StartsWith("brummer output ", s.Thread, StringComparison.Ordinal));
        Assert.True(OutputScheduler.Shared.AtIdlePriority);
        Assert.All(seen, s => Assert.Equal(SchedIdle, s.Policy));
        Assert.Equal(SchedOther, ThreadPolicy()); // the test's own thread, for contrast
    }

    [Fact]
    public void Scheduler_NeedsAThread() =>
        Assert.Throws<ArgumentOutOfRangeException>(() => new OutputScheduler(0, idlePriority: true));

    private const int SchedOther = 0;
    private const int SchedIdle = 5;

    /// <summary>Field 41 of /proc/thread-self/stat: the calling thread's scheduling policy.</summary>
    private static int ThreadPolicy()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[41 - 3], CultureInfo.InvariantCulture);
    }

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(10, timeout.Token);
        }
    }
}
