using System.Globalization;
using Brummer.Grains.Logs;

namespace Brummer.Grains.Tests;

public sealed class LogBufferTests
{
    private static readonly DateTimeOffset T0 = new(2026, 11, 28, 12, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Append_PastMaxLines_KeepsTheNewestLines()
    {
        var buffer = new LogBuffer(maxLines: 3);

        for (var i = 1; i <= 5; i++)
        {
            buffer.Append(LogSource.Stdout, $"line {i}");
        }

        Assert.Equal(["line 3", "line 4", "line 5"], buffer.Tail().Select(l => l.Text));
        Assert.Equal(3, buffer.Count);
        Assert.Equal(3, buffer.FirstSequence);
        Assert.Equal(5, buffer.LastSequence);
        Assert.Equal(buffer.Tail().Sum(l => (long)l.Bytes), buffer.Bytes);
    }

    [Fact]
    public void TryCopy_CopiesTheLineWithoutColourCodes_GrowingTheScratch_AndRefusesLinesNotHeld()
    {
        var buffer = new LogBuffer(maxLines: 2);
        buffer.Append(LogSource.Stdout, "first", T0);
        buffer.Append(LogSource.Stderr, "\u001b[31mboom: a line longer than the scratch\u001b[0m", T0.AddSeconds(1));
        buffer.Append(LogSource.Stdout, "third", T0.AddSeconds(2));
        var scratch = new char[4];

        Assert.True(buffer.TryCopy(2, ref scratch, out var line));
        Assert.Equal("boom: a line longer than the scratch", new string(scratch, 0, line.Length));
        Assert.Equal((2L, LogSource.Stderr, T0.AddSeconds(1)), (line.Sequence, line.Source, line.Time));
        Assert.False(buffer.TryCopy(1, ref scratch, out _)); // evicted
        Assert.False(buffer.TryCopy(4, ref scratch, out _)); // not printed yet
    }

    [Fact]
    public void Append_PastMaxBytes_EvictsOldestUntilWithinTheCap()
    {
        var lineBytes = new LogLine(1, T0, LogSource.Stdout, new string('a', 100)).Bytes;
        var buffer = new LogBuffer(maxLines: 1000, maxBytes: (lineBytes * 4) + (lineBytes / 2));

        for (var i = 0; i < 10; i++)
        {
            buffer.Append(LogSource.Stdout, new string((char)('a' + i), 100));
            Assert.InRange(buffer.Bytes, 0, buffer.MaxBytes);
        }

        Assert.Equal(4, buffer.Count);
        Assert.Equal(4 * lineBytes, buffer.Bytes);
        Assert.Equal([7L, 8, 9, 10], buffer.Tail().Select(l => l.Sequence));

        // One long line pushes out as many short ones as it needs, and no more.
        buffer.Append(LogSource.Stderr, new string('z', 250));
        Assert.Equal([9L, 10, 11], buffer.Tail().Select(l => l.Sequence));
        Assert.InRange(buffer.Bytes, 0, buffer.MaxBytes);
    }

    [Fact]
    public void Append_LineLargerThanMaxBytes_IsKeptAlone()
    {
        var buffer = new LogBuffer(maxLines: 10, maxBytes: 1000);
        buffer.Append(LogSource.Stdout, "small");

        buffer.Append(LogSource.Stdout, new string('x', 2000));

        var only = Assert.Single(buffer.Tail());
        Assert.Equal(2, only.Sequence);
        Assert.Equal(only.Bytes, buffer.Bytes);
    }

    [Fact]
    public void Sequence_AcrossManyWraps_KeepsCountingAndIsNeverReused()
    {
        var buffer = new LogBuffer(maxLines: 7);

        var sequences = Enumerable.Range(1, 1000).Select(i => buffer.Append(LogSource.Stdout, i.ToString(CultureInfo.InvariantCulture)).Sequence).ToList();

        Assert.Equal(Enumerable.Range(1, 1000).Select(i => (long)i), sequences);
        var tail = buffer.Tail();
        Assert.Equal(Enumerable.Range(994, 7).Select(i => (long)i), tail.Select(l => l.Sequence));
        Assert.All(tail, l => Assert.Equal(l.Sequence.ToString(CultureInfo.InvariantCulture), l.Text));
    }

    [Fact]
    public void Tail_LastN_OldestFirst()
    {
        var buffer = Filled(10);

        Assert.Equal([8L, 9, 10], buffer.Tail(3).Select(l => l.Sequence));
        Assert.Equal(10, buffer.Tail().Count);
        Assert.Equal(10, buffer.Tail(50).Count);
        Assert.Empty(buffer.Tail(0));
        Assert.Empty(new LogBuffer(5).Tail());
    }

    [Fact]
    public void After_Follows_WithContinueAfterAndHasMore()
    {
        var buffer = Filled(10);

        var first = buffer.After(0, 4);
        var second = buffer.After(first.ContinueAfter, 4);
        var third = buffer.After(second.ContinueAfter, 4);
        var caughtUp = buffer.After(third.ContinueAfter, 4);

        Assert.Equal([1L, 2, 3, 4], first.Lines.Select(l => l.Sequence));
        Assert.True(first.HasMore);
        Assert.Equal([5L, 6, 7, 8], second.Lines.Select(l => l.Sequence));
        Assert.Equal([9L, 10], third.Lines.Select(l => l.Sequence));
        Assert.False(third.HasMore);
        Assert.Empty(caughtUp.Lines);
        Assert.Equal(10, caughtUp.ContinueAfter);
        Assert.Equal(10, caughtUp.LastSequence);
        Assert.All(new[] { first, second, third, caughtUp }, s => Assert.Equal(0, s.Missed));

        buffer.Append(LogSource.Stderr, "new");
        var fresh = buffer.After(caughtUp.ContinueAfter, 4);
        Assert.Equal("new", Assert.Single(fresh.Lines).Text);
    }

    [Fact]
    public void After_FollowerFellBehindTheBuffer_ReportsMissedLines()
    {
        var buffer = new LogBuffer(maxLines: 5);
        for (var i = 0; i < 20; i++)
        {
            buffer.Append(LogSource.Stdout, "x");
        }

        var slice = buffer.After(3, 100);

        Assert.Equal([16L, 17, 18, 19, 20], slice.Lines.Select(l => l.Sequence));
        Assert.Equal(12, slice.Missed); // 4..15
        Assert.Equal(20, slice.ContinueAfter);
    }

    [Fact]
    public void After_SequenceFromAnotherBuffer_ReturnsNothingAndTheRealLastSequence()
    {
        var buffer = Filled(3);

        var slice = buffer.After(500, 10);

        Assert.Empty(slice.Lines);
        Assert.Equal(3, slice.LastSequence);
        Assert.Equal(500, slice.ContinueAfter);
    }

    [Theory]
    [InlineData(long.MaxValue)]
    [InlineData(long.MaxValue - 1)]
    [InlineData(4)]
    public void After_PastTheEnd_ReturnsNoLines(long after)
    {
        var buffer = Filled(3);

        var slice = buffer.After(after, 1000);

        Assert.Empty(slice.Lines);
        Assert.False(slice.HasMore);
        Assert.Equal(0, slice.Missed);
        Assert.Equal(after, slice.ContinueAfter);
    }

    [Fact]
    public void Search_NewestFirst_UpToTheLimit()
    {
        var buffer = Filled(100);

        var result = buffer.Search(l => l.Sequence % 10 == 0, limit: 3, maxScanned: 1000);

        Assert.Equal([100L, 90, 80], result.Lines.Select(l => l.Sequence));
        Assert.False(result.CutShort);
        Assert.Equal(21, result.Scanned);
        Assert.Equal(80, result.ContinueBefore);
        Assert.Equal(100, result.LastSequence);
    }

    [Fact]
    public void Search_MaxScanned_CutsShortAndCanResume()
    {
        var buffer = Filled(100);

        var first = buffer.Search(l => l.Sequence % 10 == 5, limit: 50, maxScanned: 30);
        var rest = buffer.Search(l => l.Sequence % 10 == 5, limit: 50, maxScanned: 1000, before: first.ContinueBefore);

        Assert.True(first.CutShort);
        Assert.Equal(30, first.Scanned);
        Assert.Equal([95L, 85, 75], first.Lines.Select(l => l.Sequence));
        Assert.Equal(71, first.ContinueBefore);
        Assert.False(rest.CutShort);
        Assert.Equal([65L, 55, 45, 35, 25, 15, 5], rest.Lines.Select(l => l.Sequence));
        Assert.Equal(70, rest.Scanned);
    }

    [Fact]
    public void Search_ScanEndingExactlyAtTheOldestLine_IsNotCutShort()
    {
        var buffer = Filled(10);

        var result = buffer.Search(_ => false, limit: 5, maxScanned: 10);

        Assert.False(result.CutShort);
        Assert.Equal(10, result.Scanned);
    }

    [Fact]
    public void Search_Since_StopsAtTheFirstOlderLine()
    {
        var clock = new StepClock(T0);
        var buffer = new LogBuffer(100, time: clock);
        for (var i = 1; i <= 10; i++)
        {
            buffer.Append(LogSource.Stdout, $"line {i}");
            clock.Advance(TimeSpan.FromSeconds(1));
        }

        var result = buffer.Search(_ => true, limit: 100, maxScanned: 5, since: T0.AddSeconds(7));

        Assert.Equal([10L, 9, 8], result.Lines.Select(l => l.Sequence));
        Assert.False(result.CutShort);
        Assert.Equal(3, result.Scanned);
    }

    [Fact]
    public void Append_ClockGoingBackwards_KeepsTimesInSequenceOrder()
    {
        var clock = new StepClock(T0);
        var buffer = new LogBuffer(10, time: clock);

        buffer.Append(LogSource.Stdout, "a");
        clock.Advance(TimeSpan.FromSeconds(-5));
        buffer.Append(LogSource.Stdout, "b");
        buffer.Append(LogSource.Stdout, "c", T0.AddSeconds(-60));

        Assert.All(buffer.Tail(), l => Assert.Equal(T0, l.Time));
    }

    [Fact]
    public void Search_MatchesTheTextWithoutColourCodes()
    {
        var buffer = new LogBuffer(10);
        buffer.Append(LogSource.Stderr, "\u001b[31mError\u001b[0m: boom");
        buffer.Append(LogSource.Stdout, "fine");

        var result = buffer.Search(l => l.SearchText.StartsWith("Error: ", StringComparison.Ordinal), 10, 100);

        var line = Assert.Single(result.Lines);
        Assert.Equal("\u001b[31mError\u001b[0m: boom", line.Text);
        Assert.Equal("Error: boom", line.SearchText);
        Assert.True(line.HasEscapes);
    }

    [Fact]
    public void Bytes_CountTheStrippedCopyOnlyWhenThereIsOne()
    {
        var plain = new LogLine(1, T0, LogSource.Stdout, "hello");
        var coloured = new LogLine(2, T0, LogSource.Stdout, "\u001b[1mhello\u001b[0m");

        Assert.Same(plain.Text, plain.SearchText);
        Assert.Equal(LogLine.OverheadBytes + 10, plain.Bytes);
        Assert.Equal(LogLine.OverheadBytes + (2 * coloured.Text.Length) + 10, coloured.Bytes);
    }

    [Fact]
    public void Append_LinesOfEveryLengthAcrossManyWrapsOfTheTextRing_ComeBackWhole()
    {
        // 2,000 bytes of cap: the char ring wraps every few lines, at every offset, and lines restart at its start.
        var buffer = new LogBuffer(maxLines: 50, maxBytes: 2_000);
        for (var i = 1; i <= 5_000; i++)
        {
            var text = Text(i);
            var appended = buffer.Append(LogSource.Stdout, text);
            Assert.Equal(text, appended.Text);
            Assert.Equal(text, buffer.Tail(1)[0].Text);
            Assert.InRange(buffer.Bytes, 0, buffer.MaxBytes);
        }

        var held = buffer.Tail();
        Assert.Equal(Enumerable.Range((int)buffer.FirstSequence, buffer.Count).Select(i => Text(i)), held.Select(l => l.Text));
        Assert.Equal(held.Sum(l => (long)l.Bytes), buffer.Bytes);

        static string Text(long i) => i.ToString(CultureInfo.InvariantCulture) + new string((char)('a' + (i % 26)), (int)(i * 37 % 300));
    }

    [Fact]
    public void Append_SpanWithItsOwnStrippedText_KeepsBothAndCountsBoth()
    {
        var buffer = new LogBuffer(maxLines: 10);
        const string Coloured = "\u001b[31mError: boom\u001b[0m";

        var (sequence, _) = buffer.Append(LogSource.Stderr, Coloured.AsSpan(), "Error: boom".AsSpan());
        var (plainSequence, _) = buffer.Append(LogSource.Stdout, "plain".AsSpan(), string.Concat("pla", "in").AsSpan());

        var lines = buffer.Tail();
        Assert.Equal([sequence, plainSequence], lines.Select(l => l.Sequence));
        Assert.Equal((Coloured, "Error: boom", true), (lines[0].Text, lines[0].SearchText, lines[0].HasEscapes));
        Assert.Equal(("plain", false), (lines[1].SearchText, lines[1].HasEscapes)); // equal text in other memory: stored once
        Assert.Equal(lines.Sum(l => (long)l.Bytes), buffer.Bytes);
    }

    [Fact]
    public void Append_SpanPath_AllocatesNothingOnceTheBufferIsFull()
    {
        var buffer = new LogBuffer(maxLines: 1_000, maxBytes: 64 * 1024);
        var line = "GET /api/orders/1234 200 12ms user=alice trace=4bf92f3577b34da6a3ce929d0e0e4736".AsSpan();
        for (var i = 0; i < 5_000; i++)
        {
            buffer.Append(LogSource.Stdout, line, line); // fills and grows the rings to their final size
        }

        var before = GC.GetAllocatedBytesForCurrentThread();
        for (var i = 0; i < 100_000; i++)
        {
            buffer.Append(LogSource.Stdout, line, line);
        }

        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
        Assert.Equal(105_000, buffer.LastSequence);
    }

    [Fact]
    public async Task Readers_WhileAWriterFloods_OnlyEverSeeWholeContiguousLines()
    {
        // Lines of varying length, so both the line cap and the byte cap evict while readers read.
        var buffer = new LogBuffer(maxLines: 500, maxBytes: 40_000);
        const int Total = 400_000;
        using var readersStarted = new CountdownEvent(3);
        var writer = Run(() =>
        {
            readersStarted.Wait(TestContext.Current.CancellationToken);
            for (var i = 1; i <= Total; i++)
            {
                buffer.Append(i % 2 == 0 ? LogSource.Stdout : LogSource.Stderr, TextFor(i));
            }
        });

        var reads = new long[3];
        var readers = new[]
        {
            Run(() =>
            {
                readersStarted.Signal();
                while (!writer.IsCompleted)
                {
                    var tail = buffer.Tail(100);
                    AssertWhole(tail);
                    AssertContiguous(tail);
                    reads[0]++;
                }
            }),
            Run(() =>
            {
                readersStarted.Signal();
                long cursor = 0;
                while (!writer.IsCompleted || cursor < Total)
                {
                    var slice = buffer.After(cursor, 64);
                    AssertWhole(slice.Lines);
                    AssertContiguous(slice.Lines);
                    if (slice.Lines.Count > 0)
                    {
                        Assert.Equal(cursor + slice.Missed + 1, slice.Lines[0].Sequence);
                    }

                    Assert.True(slice.ContinueAfter >= cursor);
                    cursor = slice.ContinueAfter;
                    reads[1]++;
                }

                Assert.Equal(Total, cursor);
            }),
            Run(() =>
            {
                readersStarted.Signal();
                while (!writer.IsCompleted)
                {
                    var found = buffer.Search(l => l.Sequence % 3 == 0, limit: 20, maxScanned: 300);
                    AssertWhole(found.Lines);
                    Assert.All(found.Lines, l => Assert.Equal(0, l.Sequence % 3));
                    Assert.Equal(found.Lines.OrderByDescending(l => l.Sequence).Select(l => l.Sequence), found.Lines.Select(l => l.Sequence));
                    Assert.InRange(found.Scanned, 0, 300);
                    reads[2]++;
                }
            }),
        };

        await writer;
        await Task.WhenAll(readers);

        Assert.Equal(Total, buffer.LastSequence);
        Assert.InRange(buffer.Bytes, 0, buffer.MaxBytes);
        Assert.Equal(buffer.Tail().Sum(l => (long)l.Bytes), buffer.Bytes);
        Assert.All(reads, r => Assert.True(r > 0, "every reader ran while the writer was writing"));

        static void AssertWhole(IEnumerable<LogLine> lines) =>
            Assert.All(lines, l => Assert.Equal(TextFor(l.Sequence), l.Text));

        static void AssertContiguous(IReadOnlyList<LogLine> lines)
        {
            for (var i = 1; i < lines.Count; i++)
            {
                Assert.Equal(lines[i - 1].Sequence + 1, lines[i].Sequence);
            }
        }
    }

    /// <summary>On a thread of its own, so the readers overlap the writer even on a busy 2-core machine.</summary>
    private static Task Run(Action body) =>
        Task.Factory.StartNew(body, CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);

    private static string TextFor(long sequence) =>
        sequence.ToString(CultureInfo.InvariantCulture) + new string('.', (int)(sequence % 97));

    private static LogBuffer Filled(int lines)
    {
        var buffer = new LogBuffer(1000);
        for (var i = 1; i <= lines; i++)
        {
            buffer.Append(LogSource.Stdout, $"line {i}");
        }

        return buffer;
    }

    private sealed class StepClock(DateTimeOffset start) : TimeProvider
    {
        private DateTimeOffset _now = start;

        public override DateTimeOffset GetUtcNow() => _now;

        public void Advance(TimeSpan by) => _now += by;
    }
}
