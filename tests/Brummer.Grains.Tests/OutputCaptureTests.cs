using System.Globalization;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Logs;
using Brummer.Grains.Processes;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

/// <summary>
/// Output of real child processes (the Dummy program) through <see cref="ProcessSupervisor"/>'s capture into its
/// <see cref="LogBuffer"/>. The gigabyte tests run alone (<see cref="GigabyteOutputGroup"/>), so the heap
/// measured around them is theirs.
/// </summary>
[Collection(GigabyteOutputGroup.Name)]
public sealed class OutputCaptureTests
{
    private const long Gigabyte = 1L << 30;

    /// <summary>What capture may hold besides the buffer's accounted lines, with room for the runtime's own noise.</summary>
    private const long Slack = 32L << 20;

    /// <summary>How long a gigabyte test waits without any progress before it fails.</summary>
    private static readonly TimeSpan Stall = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Capture_ProcessPrintingOneGigabyteOfLines_StaysWithinTheBufferCap()
    {
        const int LineLength = 1024;
        const long Lines = Gigabyte / LineLength;
        var options = new ProcessOptions { StopTimeout = TimeSpan.FromSeconds(1) };
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["flood"] = [$"flood:{Gigabyte}:{LineLength}", "exit:0"] }, options);
        var log = node["flood"].Output.Log;
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        await node["flood"].StartAsync(TestContext.Current.CancellationToken);
        var (peakBytes, peakHeap, samples) = await SampleUntilExitAsync(node, "flood", () =>
        {
            // A reader beside the flooding writer: the newest lines are whole and in order.
            var tail = log.Tail(20);
            for (var i = 1; i < tail.Count; i++)
            {
                Assert.Equal(tail[i - 1].Sequence + 1, tail[i].Sequence);
                Assert.Equal(LineLength - 1, tail[i].Text.Length);
            }
        });
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        Assert.Equal(Lines, log.LastSequence);
        var last = log.Tail(1)[0];
        Assert.StartsWith(Lines.ToString("D10", CultureInfo.InvariantCulture) + " ", last.Text, StringComparison.Ordinal);
        Assert.True(samples > 10, $"sampled {samples} times while it ran");
        Assert.InRange(peakBytes, 1, options.LogBytes);
        Assert.InRange(log.Bytes, options.LogBytes - (2 * LineLength) - LogLine.OverheadBytes, options.LogBytes);
        Assert.Equal(log.Tail().Sum(l => (long)l.Bytes), log.Bytes);
        Assert.InRange(heapAfter - heapBefore, long.MinValue, options.LogBytes + Slack);
        TestContext.Current.TestOutputHelper?.WriteLine($"1 GB of lines: buffer {log.Count} lines, {log.Bytes} B (peak {peakBytes}); heap {heapBefore} -> {heapAfter} B, sampled peak {peakHeap} B");
    }

    [Fact]
    public async Task Capture_OneGigabyteLineWithoutNewline_IsKeptAsItsStartAndAMarker()
    {
        var options = new ProcessOptions { StopTimeout = TimeSpan.FromSeconds(1) };
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["blob"] = ["say:before", $"longline:{Gigabyte}", "exit:0"] }, options);
        var log = node["blob"].Output.Log;
        var heapBefore = GC.GetTotalMemory(forceFullCollection: true);

        await node["blob"].StartAsync(TestContext.Current.CancellationToken);
        var (_, peakHeap, _) = await SampleUntilExitAsync(node, "blob", () => Assert.InRange(log.Count, 0, 2));
        var heapAfter = GC.GetTotalMemory(forceFullCollection: true);

        var lines = log.Tail();
        Assert.Equal(2, lines.Count);
        Assert.Equal("before", lines[0].Text);
        var kept = options.LogLineMaxBytes;
        Assert.Equal(new string('y', kept) + $"… [truncated {Gigabyte - kept} bytes]", lines[1].Text);
        Assert.InRange(peakHeap - heapBefore, long.MinValue, Slack);
        Assert.InRange(heapAfter - heapBefore, long.MinValue, Slack);
        Assert.Equal(lines[1].Text, node.Table.Get("blob")!.LastLine);
        TestContext.Current.TestOutputHelper?.WriteLine($"1 GB line: heap {heapBefore} -> {heapAfter} B, sampled peak {peakHeap} B");
    }

    [Fact]
    public async Task Capture_OverlongLineAmongOthers_TruncatesOnlyThatLine()
    {
        var options = new ProcessOptions { LogLineMaxBytes = 1000 };
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["web"] = ["longline:250000", "say: and its end", "say:next", "exit:0"] }, options);

        await node["web"].StartAsync(TestContext.Current.CancellationToken);
        await node.WaitForAsync("web", p => p.Status == ProcessStatus.Succeeded, "succeeded");

        Assert.Equal(
            [new string('y', 1000) + "… [truncated 249012 bytes]", "next"],
            node["web"].Output.Log.Tail().Select(l => l.Text));
    }

    [Fact]
    public async Task Capture_InvalidUtf8_BecomesReplacementCharacters_AndCaptureGoesOn()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]>
        {
            ["bad"] = ["hex:6f6bff0a", "hex:c328e282", "err:still here", "say:after", "exit:0"],
        });

        await node["bad"].StartAsync(TestContext.Current.CancellationToken);
        await node.WaitForAsync("bad", p => p.Status == ProcessStatus.Succeeded, "succeeded");

        var lines = node["bad"].Output.Log.Tail();
        Assert.Equal(["ok\uFFFD", "\uFFFD(\uFFFDafter"], lines.Where(l => l.Source == LogSource.Stdout).Select(l => l.Text));
        Assert.Contains(lines, l => l.Source == LogSource.Stderr && l.Text == "still here");
    }

    [Fact]
    public async Task Capture_CrLfAndAnUnterminatedLastLine_AreLines()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["win"] = ["hex:610d0a620d0a0d0a63", "exit:0"] });

        await node["win"].StartAsync(TestContext.Current.CancellationToken);
        var exited = await node.WaitForAsync("win", p => p.Status == ProcessStatus.Succeeded, "succeeded");

        Assert.Equal(["a", "b", "", "c"], node["win"].Output.Log.Tail().Select(l => l.Text));
        Assert.Equal("c", exited.LastLine);
    }

    [Fact]
    public async Task Capture_AnsiColour_KeptForDisplay_StrippedForSearchAndStatus()
    {
        await using var node = new SupervisorHarness(new Dictionary<string, string[]> { ["tests"] = ["say:ok", "ansi:FAIL src/app.test.ts", "exit:1"] });

        await node["tests"].StartAsync(TestContext.Current.CancellationToken);
        var exited = await node.WaitForAsync("tests", p => p.Status == ProcessStatus.Failed, "failed");

        var log = node["tests"].Output.Log;
        var found = log.Search(l => l.SearchText.StartsWith("FAIL ", StringComparison.Ordinal), limit: 10, maxScanned: 100);
        var line = Assert.Single(found.Lines);
        Assert.Equal("\u001b[1;31mFAIL src/app.test.ts\u001b[0m", line.Text);
        Assert.Equal("FAIL src/app.test.ts", line.SearchText);
        Assert.Equal("FAIL src/app.test.ts", exited.LastLine);
    }

    /// <summary>
    /// Runs <paramref name="probe"/> and samples the buffer's accounted bytes and the heap until the script exits.
    /// The heap figure includes garbage not yet collected, so it is an upper bound of what capture holds.
    /// How long a gigabyte takes depends on how busy the machine is, so the wait is bounded by progress, not by the
    /// clock: it fails only if nothing moves (the script writes nothing into the pipe, no line is added, the process
    /// does not end) for <see cref="Stall"/>.
    /// </summary>
    private static async Task<(long PeakBytes, long PeakHeap, int Samples)> SampleUntilExitAsync(SupervisorHarness node, string name, Action probe)
    {
        var log = node[name].Output.Log;
        var pid = node.Table.Get(name)!.Pid!.Value;
        var exit = node.WaitForAsync(name, p => p.Status is ProcessStatus.Succeeded or ProcessStatus.Failed, "exited", Timeout.InfiniteTimeSpan);
        long peakBytes = 0, peakHeap = 0;
        var samples = 0;
        var (progress, progressAt) = ((Written: -1L, Line: -1L), DateTime.UtcNow);
        while (!exit.IsCompleted)
        {
            probe();
            peakBytes = Math.Max(peakBytes, log.Bytes);
            peakHeap = Math.Max(peakHeap, GC.GetTotalMemory(forceFullCollection: false));
            samples++;
            var now = (Written: OsProcesses.BytesWritten(pid) ?? long.MaxValue, Line: log.LastSequence);
            if (now != progress)
            {
                (progress, progressAt) = (now, DateTime.UtcNow);
            }
            else if (DateTime.UtcNow - progressAt > Stall)
            {
                throw new TimeoutException($"{name} made no progress for {Stall.TotalSeconds:0} s: {progress.Written} bytes written, last line {progress.Line}, status {node.Table.Get(name)}");
            }

            await Task.WhenAny(exit, Task.Delay(10, TestContext.Current.CancellationToken));
        }

        Assert.Equal(ProcessStatus.Succeeded, (await exit).Status);
        return (Math.Max(peakBytes, log.Bytes), peakHeap, samples);
    }
}

/// <summary>Tests that push a gigabyte through a pipe run alone, after the parallel ones, so heap figures are theirs.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class GigabyteOutputGroup
{
    public const string Name = "gigabyte output";
}
