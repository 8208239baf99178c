using System.Collections.Concurrent;
using System.Globalization;
using System.IO.Pipes;
using System.Text;
using Brummer.Grains.Logs;

namespace Brummer.Grains.Tests;

/// <summary>
/// Output capture runs below the node's priority (<see cref="OutputScheduler"/>): every line, including those read
/// after the pipe had to be waited on, is handled on a capture thread at nice +10, never on the thread pool.
/// </summary>
public sealed class OutputSchedulerTests
{
    [Fact]
    public async Task Capture_LinesArrivingOverTime_AreAllHandledOnLowPriorityCaptureThreads()
    {
        var seen = new ConcurrentQueue<(string Line, string? Thread, int Nice)>();
        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        var capture = new OutputCapture(1024, line => seen.Enqueue((line.ToString(), Thread.CurrentThread.Name, Niceness("thread-self"))));
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
        Assert.Equal(10, OutputScheduler.Shared.Niceness);
        var expected = Math.Min(19, Niceness(Environment.ProcessId.ToString(CultureInfo.InvariantCulture)) + 10);
        Assert.All(seen, s => Assert.Equal(expected, s.Nice));
    }

    [Fact]
    public void Scheduler_RejectsWhatLinuxWouldNot()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new OutputScheduler(1, 20));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OutputScheduler(1, -1));
        Assert.Throws<ArgumentOutOfRangeException>(() => new OutputScheduler(0, 10));
    }

    /// <summary>Field 19 of /proc/{who}/stat: a thread's (thread-self) or the process's main thread's nice value.</summary>
    private static int Niceness(string who)
    {
        var stat = File.ReadAllText($"/proc/{who}/stat");
        // The command name (field 2) may hold spaces: fields are counted after its closing parenthesis.
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return int.Parse(fields[19 - 3], CultureInfo.InvariantCulture);
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
