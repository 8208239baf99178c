using System.Text.RegularExpressions;
using Brummer.Grains.Logs;
using Brummer.Grains.Logs.Detection;

namespace Brummer.Grains.Tests.Detection;

/// <summary>The engine behind errors_list and urls_list: incremental, per stream, bounded, never hung by a pattern.</summary>
public sealed class LogAnalyzerTests
{
    /// <summary>
    /// The capture path asks <see cref="LogAnalyzer.Wants"/> before making a string of a line: over every captured
    /// fixture (and the interleaved pair, one stream each), skipping what it declines finds exactly what observing
    /// every line finds.
    /// </summary>
    [Fact]
    public void Wants_SkippingTheLinesItDeclines_FindsTheSameErrorsAndUrls_InEveryFixture()
    {
        var fixtures = Directory.GetFiles(Fixtures.Directory, "*.txt").Select(Path.GetFileName).ToList();
        Assert.True(fixtures.Count >= 30, $"{fixtures.Count} fixtures");
        var skipped = 0;
        foreach (var fixture in fixtures)
        {
            var lines = Fixtures.Lines(fixture!);
            var every = new LogAnalyzer();
            var gated = new LogAnalyzer();
            for (var i = 0; i < lines.Count; i++)
            {
                var stream = i % 7 == 0 ? LogSource.Stdout : LogSource.Stderr;
                every.Observe(Fixtures.View(i + 1, lines[i], stream));
                if (gated.Wants(stream, lines[i]))
                {
                    gated.Observe(Fixtures.View(i + 1, lines[i], stream));
                }
                else
                {
                    skipped++;
                }
            }

            every.Complete();
            gated.Complete();
            Assert.Equal(Describe(every), Describe(gated));
        }

        Assert.True(skipped > 0, "some fixture lines carry no hint at all");

        static string Describe(LogAnalyzer analyzer) =>
            string.Join("\n", analyzer.Errors.Select(e => $"{e.Stream} {e.Title} x{e.Count} @{e.FirstSequence}: {string.Join(" | ", e.Lines)}")) +
            "\n" + string.Join("\n", analyzer.Urls.Select(u => $"{u.Stream} {u.Url}"));
    }

    [Fact]
    public void Wants_AnOrdinaryLine_IsDeclined_ButInsideABlockEveryLineIsWanted()
    {
        var analyzer = new LogAnalyzer();
        const string Ordinary = "GET /api/orders/1234 200 12ms user=alice trace=4bf92f3577b34da6a3ce929d0e0e4736";

        Assert.False(analyzer.Wants(LogSource.Stderr, Ordinary));
        analyzer.Observe(Fixtures.View(1, "TypeError: Cannot read properties of undefined (reading 'id')"));
        Assert.True(analyzer.Wants(LogSource.Stderr, Ordinary)); // a candidate block waits for its next lines
        Assert.False(analyzer.Wants(LogSource.Stdout, Ordinary)); // the other stream is unaffected
    }

    [Fact]
    public void Observe_StdoutLinesBetweenEveryStderrTraceLine_BlocksStayWhole()
    {
        var stdout = Fixtures.Lines("node-interleaved.stdout.txt");
        var stderr = Fixtures.Lines("node-interleaved.stderr.txt");
        var analyzer = new LogAnalyzer();

        // Harsher than the pipes ever were: a request log line on stdout between any two stderr lines.
        long sequence = 1;
        for (var i = 0; i < Math.Max(stdout.Count, stderr.Count); i++)
        {
            if (i < stdout.Count)
            {
                analyzer.Observe(Fixtures.View(sequence++, stdout[i], LogSource.Stdout));
            }

            if (i < stderr.Count)
            {
                analyzer.Observe(Fixtures.View(sequence++, stderr[i], LogSource.Stderr));
            }
        }

        analyzer.Complete();

        var error = Assert.Single(analyzer.Errors);
        Assert.Equal(("SyntaxError: Unexpected end of JSON input", 2, LogSource.Stderr), (error.Title, error.Count, error.Stream));
        Assert.Equal(stderr.Take(6), error.Lines);
        Assert.Equal("http://127.0.0.1:3001", Assert.Single(analyzer.Urls).Url);
        Assert.Equal(LogSource.Stdout, analyzer.Urls[0].Stream);
    }

    [Fact]
    public void Observe_LongPausesInsideATrace_DoNotCutIt()
    {
        var analyzer = Fixtures.Analyze("go-run-index-panic.txt", step: TimeSpan.FromMinutes(10));

        var error = Assert.Single(analyzer.Errors);
        Assert.Equal(8, error.Lines.Count);
        Assert.Equal("exit status 2", error.Lines[^1]);
    }

    [Fact]
    public void Errors_TraceStillBeingPrinted_IsListedIncompleteThenCompleted()
    {
        var lines = Fixtures.Lines("node-console-error-two.txt");
        var analyzer = new LogAnalyzer();

        Fixtures.Feed(analyzer, lines.Take(5), LogSource.Stderr);
        var early = Assert.Single(analyzer.Errors);
        Assert.False(early.Complete);
        Assert.Equal(5, early.Lines.Count);
        Assert.Equal(1, analyzer.ErrorCount);

        Fixtures.Feed(analyzer, lines.Skip(5), LogSource.Stderr, firstSequence: 6);
        analyzer.Complete();
        Assert.Equal([(9, true), (9, true)], analyzer.Errors.Select(e => (e.Lines.Count, e.Complete)));
        Assert.Equal(5, early.Lines.Count);
    }

    [Fact]
    public void Errors_RepeatStillBeingPrinted_CountsOnTheExistingGroup()
    {
        var lines = Fixtures.Lines("node-console-error-repeat.txt");
        var analyzer = new LogAnalyzer();

        // Through the second occurrence's start line and two of its frames.
        Fixtures.Feed(analyzer, lines.Take(12), LogSource.Stderr);

        var error = Assert.Single(analyzer.Errors);
        Assert.Equal((2, false, 10L), (error.Count, error.Complete, error.LastSequence));
        Assert.Equal(7, error.Lines.Count);
    }

    [Fact]
    public void Complete_ErrorNameWithoutStackFrames_IsNoError()
    {
        var analyzer = new LogAnalyzer();

        // A Python exception line outside a traceback, then the process ends: a line naming an error is not a trace.
        analyzer.Observe(Fixtures.View(1, Fixtures.Lines("python-syntax-error.txt")[^1]));
        analyzer.Complete();

        Assert.Empty(analyzer.Errors);
        Assert.Equal(0, analyzer.ErrorCount);
    }

    [Fact]
    public void Observe_ManyDistinctErrors_KeepsTheFirstAndStaysWithinTheGroupBound()
    {
        var block = Fixtures.Lines("node-console-error-two.txt").Take(9).ToList();
        var analyzer = new LogAnalyzer(options: new LogAnalyzerOptions { MaxErrorGroups = 10 });

        long sequence = 1;
        for (var i = 0; i < 100; i++)
        {
            Fixtures.Feed(analyzer, [block[0].Replace("'user'", $"'user{i}'", StringComparison.Ordinal), .. block.Skip(1)],
                LogSource.Stderr, sequence);
            sequence += block.Count;
        }

        analyzer.Complete();

        Assert.Equal(10, analyzer.Errors.Count);
        Assert.Equal("TypeError: Cannot read properties of undefined (reading 'user0')", analyzer.Errors[0].Title);
        Assert.Equal("TypeError: Cannot read properties of undefined (reading 'user99')", analyzer.Errors[^1].Title);
        Assert.Equal(90, analyzer.DroppedGroups);
        Assert.Equal(100, analyzer.ErrorCount);
    }

    [Fact]
    public void Observe_StoredCharactersOverTheBound_EvictsLeastRecentlySeen()
    {
        var analyzer = new LogAnalyzer(options: new LogAnalyzerOptions { MaxStoredChars = 1_500 });

        string[] fixtures = ["node-console-error-two.txt", "java-exceptions.txt", "go-run-index-panic.txt"];
        for (var i = 0; i < fixtures.Length; i++)
        {
            Fixtures.Feed(analyzer, Fixtures.Lines(fixtures[i]), LogSource.Stderr, firstSequence: (i * 100) + 1);
        }

        analyzer.Complete();

        Assert.True(analyzer.DroppedGroups > 0);
        Assert.StartsWith("TypeError:", analyzer.Errors[0].Title, StringComparison.Ordinal);
        Assert.Equal("panic: runtime error: index out of range [5] with length 3", analyzer.Errors[^1].Title);
        Assert.InRange(analyzer.Errors.Sum(e => e.Lines.Sum(l => l.Length)), 1, 1_500);
    }

    [Fact]
    public void Observe_TraceLongerThanTheBlockBound_KeepsHeadAndTail()
    {
        var lines = Fixtures.Lines("java-exceptions.txt").ToList();
        var uncaught = lines.FindIndex(l => l.StartsWith("Exception in thread", StringComparison.Ordinal));
        // A deep framework stack: the real frame repeated, before the "Caused by:" part.
        lines.InsertRange(uncaught + 2, Enumerable.Repeat(lines[uncaught + 1], 200));
        var analyzer = new LogAnalyzer(options: new LogAnalyzerOptions { MaxBlockLines = 20, BlockTailLines = 6 });

        Fixtures.Feed(analyzer, lines, LogSource.Stderr);
        analyzer.Complete();

        var error = analyzer.Errors[1];
        Assert.Equal(20, error.Lines.Count);
        Assert.Equal((189, 14), (error.OmittedLines, error.OmittedAt));
        Assert.Equal("Caused by: java.lang.NumberFormatException: For input string: \"two\"", error.Lines[14]);
        Assert.Equal("\t... 1 more", error.Lines[^1]);
    }

    [Fact]
    public void Observe_OverlongLine_IsCutToTheLineBound()
    {
        var analyzer = new LogAnalyzer(options: new LogAnalyzerOptions { MaxLineLength = 100 });
        var frames = Fixtures.Lines("node-console-error-two.txt").Skip(1).Take(8);

        analyzer.Observe(Fixtures.View(1, "Error: " + new string('x', 100_000)));
        Fixtures.Feed(analyzer, frames, LogSource.Stderr, firstSequence: 2);
        analyzer.Complete();

        var error = Assert.Single(analyzer.Errors);
        Assert.Equal(101, error.Lines[0].Length);
        Assert.EndsWith("x…", error.Title, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Observe_CatastrophicPattern_TimesOutInsteadOfHanging()
    {
        // (\w+\s?)*$ against "aaaa…!" tries every way to split the a's (2^40): only the match timeout stops it.
        var slow = new LogDetector("slow", DetectorKind.Error, "test",
            DetectorTable.Pattern(@"^(\w+\s?)*$", TimeSpan.FromMilliseconds(50)))
        {
            Confirm = [DetectorTable.Pattern("^never$")],
        };
        var table = new DetectorTable([slow, .. DetectorTable.Default.Detectors]);
        var analyzer = new LogAnalyzer(table);

        await Task.Run(() =>
        {
            analyzer.Observe(Fixtures.View(1, new string('a', 40) + "!"));
            Fixtures.Feed(analyzer, Fixtures.Lines("node-console-error-two.txt"), LogSource.Stderr, firstSequence: 2);
            analyzer.Complete();
        }, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

        Assert.Equal(1, analyzer.RegexTimeouts);
        Assert.Equal(["TypeError", "RangeError"], analyzer.Errors.Select(e => e.Title.Split(':')[0]));
    }

    [Fact]
    public async Task Observe_AdversarialLongLines_DefaultPatternsNeverTimeOut()
    {
        // Lines built to almost match each default pattern, at the longest length the analyzer examines.
        var length = LogAnalyzerOptions.Default.MaxLineLength;
        string Fill(string unit) => string.Concat(Enumerable.Repeat(unit, length / unit.Length + 1))[..length];
        string[] lines =
        [
            Fill("a."), Fill("a.b"), "java." + Fill("a.") + ": x", Fill("("), "f" + Fill("(") + "x", Fill("Error"),
            Fill("ErrorError: "), "/" + Fill("a:1"), "node:" + Fill(":1"), Fill("http://"), "http://" + Fill("a"),
            "http://[" + Fill(":"), Fill("http://a. "), Fill(" "), Fill("\t"), "  File \"" + Fill("\", line 1"),
            Fill("src/a.ts(1,1): "), Fill("a.ts:1:1 - "), Fill("thread '"), Fill("panic: (") , "main." + Fill("(x)"),
            "    at " + Fill("a.b("), "\tat " + Fill("a.b(") + ")", Fill("0x1 2026-11-28 06:00:00 127.0.0.1:1 "),
        ];
        // The first lines of real blocks of each kind: the long line then meets the confirm, body and end patterns.
        IReadOnlyList<string>[] openings =
        [
            [],
            [.. Fixtures.Lines("node-uncaught-throw.txt").Skip(1).Take(1)],
            [.. Fixtures.Lines("node-uncaught-throw.txt").Skip(1).Take(3)],
            [.. Fixtures.Lines("node-console-error-two.txt").Take(2)],
            [.. Fixtures.Lines("tsc-pretty.txt").Take(1)],
            [.. Fixtures.Lines("dotnet-unhandled-inner.txt").Skip(1).Take(2)],
            [.. Fixtures.Lines("java-exceptions.txt").Skip(1).Take(1)],
            [.. Fixtures.Lines("java-exceptions.txt").Skip(7).Take(2)],
            [.. Fixtures.Lines("python-chained-traceback.txt").Skip(1).Take(2)],
            [.. Fixtures.Lines("python-chained-traceback.txt").Skip(17).Take(2)],
            [.. Fixtures.Lines("go-run-index-panic.txt").Skip(1).Take(3)],
            [.. Fixtures.Lines("rust-panic.txt").Skip(2).Take(1)],
        ];
        var analyzer = new LogAnalyzer();

        await Task.Run(() =>
        {
            long sequence = 1;
            foreach (var line in lines)
            {
                foreach (var opening in openings)
                {
                    Fixtures.Feed(analyzer, [.. opening, line, line], LogSource.Stderr, sequence);
                    sequence += opening.Count + 2;
                }
            }

            analyzer.Complete();
            _ = analyzer.Errors;
        }, TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(120), TestContext.Current.CancellationToken);

        Assert.Equal(0, analyzer.RegexTimeouts);
    }

    [Fact]
    public void DetectorTable_DuplicateIds_AreRefused()
    {
        var node = DetectorTable.Default.Detectors[0];

        Assert.Throws<ArgumentException>(() => new DetectorTable([node, node with { Language = "other" }]));
    }
}
