using System.Text.RegularExpressions;
using Brummer.Grains.Logs.Detection;

namespace Brummer.Grains.Tests.Detection;

/// <summary>
/// Each row of <see cref="DetectorTable.Default"/> against output captured from the real tool (tests/fixtures). Paths,
/// versions and line counts below are those of the captures; regenerating a fixture means updating its figures here.
/// </summary>
public sealed class DetectorTableTests
{
    private const string Work = "/tmp/brummer-fixtures";

    [Theory]
    [InlineData("node-uncaught-throw.txt", Work + "/node/uncaught.js:3", "Error: config must be a .json file: settings.yaml", 15)]
    [InlineData("node-uncaught-enoent.txt", "node:fs:448", "Error: ENOENT: no such file or directory, open '/tmp/fx/does-not-exist.json'", 20)]
    [InlineData("node-unhandled-rejection-esm.txt", "file://" + Work + "/node/rejection.mjs:3", "TypeError: cannot connect to port 5432", 9)]
    [InlineData("node-unhandled-rejection-reason.txt", "node:internal/process/promises:389", "UnhandledPromiseRejection: This error originated either", 12)]
    [InlineData("node-uncaught-string.txt", Work + "/node/throwstr.js:1", "plain string thrown", 7)]
    [InlineData("node-uncaught-object-eval.txt", "[eval]:1", "{ code: 42, reason: 'bad' }", 7)]
    [InlineData("node-uncaught-custom-error.txt", Work + "/node/custom.js:1", "DbError: timeout", 12)]
    [InlineData("node-uncaught-error-cause.txt", Work + "/node/cause.js:2", "Error: failed to load users", 21)]
    [InlineData("node-esm-module-not-found.txt", "node:internal/modules/esm/resolve:283", "Error [ERR_MODULE_NOT_FOUND]: Cannot find module", 18)]
    public void NodeUncaught_ProcessCrash_OneGroupFromLocationHeaderToNodeVersion(
        string fixture, string firstLine, string titleStart, int lineCount)
    {
        var error = Assert.Single(Fixtures.Analyze(fixture).Errors);

        Assert.Equal(("node-uncaught", "javascript"), (error.DetectorId, error.Language));
        Assert.StartsWith(titleStart, error.Title, StringComparison.Ordinal);
        Assert.Equal(firstLine, error.Lines[0]);
        Assert.Matches(@"^\s*\^+$", error.Lines[2]);
        Assert.Equal(lineCount, error.Lines.Count);
        Assert.Equal("Node.js v20.20.2", error.Lines[^1]);
        Assert.Equal((1, true, 0), (error.Count, error.Complete, error.OmittedLines));
    }

    [Fact]
    public void NodeUncaught_ErrorWithPropertiesAndCause_KeepsThemInTheBlock()
    {
        var enoent = Assert.Single(Fixtures.Analyze("node-uncaught-enoent.txt").Errors);
        var cause = Assert.Single(Fixtures.Analyze("node-uncaught-error-cause.txt").Errors);

        Assert.Contains("    at Object.readFileSync (node:fs:448:20)", enoent.Lines);
        Assert.Contains("  code: 'ENOENT',", enoent.Lines);
        Assert.Contains("  [cause]: Error: connection reset", cause.Lines);
        Assert.Contains("      at query (" + Work + "/node/cause.js:1:26)", cause.Lines);
    }

    [Fact]
    public void NodeError_TwoDifferentErrorsInTheSameMillisecond_TwoGroups()
    {
        // Every line gets the same timestamp: only the lines say where one error ends and the next begins.
        var analyzer = Fixtures.Analyze("node-console-error-two.txt", step: TimeSpan.Zero);

        Assert.Collection(
            analyzer.Errors,
            first =>
            {
                Assert.Equal("node-error", first.DetectorId);
                Assert.Equal("TypeError: Cannot read properties of undefined (reading 'user')", first.Title);
                Assert.Equal(9, first.Lines.Count);
                Assert.Equal("    at handle (" + Work + "/node/twoerrors.js:2:40)", first.Lines[1]);
                Assert.Equal("    at node:internal/main/run_main_module:28:49", first.Lines[^1]);
            },
            second =>
            {
                Assert.Equal("RangeError: Invalid array length", second.Title);
                Assert.Equal(9, second.Lines.Count);
                Assert.Equal(10, second.FirstSequence);
            });
        Assert.DoesNotContain(analyzer.Errors, e => e.Lines.Contains("still serving"));
    }

    [Fact]
    public void NodeError_SameErrorLoggedThreeTimes_OneGroupCountedThrice()
    {
        var analyzer = Fixtures.Analyze("node-console-error-repeat.txt", step: TimeSpan.FromSeconds(1));

        var error = Assert.Single(analyzer.Errors);
        Assert.Equal("SyntaxError: Expected ',' or '}' after property value in JSON at position 8", error.Title);
        Assert.Equal(3, error.Count);
        Assert.Equal(3, analyzer.ErrorCount);
        Assert.Equal((2L, 18L), (error.FirstSequence, error.LastSequence));
        Assert.Equal((Fixtures.Start.AddSeconds(1), Fixtures.Start.AddSeconds(17)), (error.FirstTime, error.LastTime));
        Assert.Equal(7, error.Lines.Count);
        Assert.Equal("    at process.processTimers (node:internal/timers:519:7)", error.Lines[^1]);
        Assert.DoesNotContain(error.Lines, l => l.StartsWith("request ", StringComparison.Ordinal));
    }

    [Fact]
    public void Tsc_PrettyFalse_OneGroupPerDiagnosticWithItsElaboration()
    {
        var errors = Fixtures.Analyze("tsc-plain.txt").Errors;

        Assert.Equal(8, errors.Count);
        Assert.All(errors, e => Assert.Equal(("tsc", "typescript"), (e.DetectorId, e.Language)));
        Assert.Equal("src/app.ts(7,7): error TS2322: Type 'string' is not assignable to type 'number'.", errors[0].Title);
        Assert.Equal(
            ["src/app.ts(12,48): error TS2322: Type 'Promise<Response>' is not assignable to type 'Promise<void>'.",
             "  Type 'Response' is not assignable to type 'void'."],
            errors[6].Lines);
        Assert.Equal(9, errors[7].FirstSequence);
    }

    [Fact]
    public void TscPretty_ColouredOutput_OneGroupPerDiagnosticWithCodeExcerptAndRelatedLocation()
    {
        var errors = Fixtures.Analyze("tsc-pretty.txt").Errors;

        Assert.Equal(8, errors.Count);
        Assert.All(errors, e => Assert.Equal("tsc-pretty", e.DetectorId));
        Assert.Equal(
            ["src/app.ts:7:7 - error TS2322: Type 'string' is not assignable to type 'number'.",
             "",
             "7 const port: number = \"3000\";",
             "        ~~~~"],
            errors[0].Lines);
        var missingArgument = errors[2];
        Assert.Equal("src/app.ts:9:1 - error TS2554: Expected 2 arguments, but got 1.", missingArgument.Title);
        Assert.Equal(9, missingArgument.Lines.Count);
        Assert.Equal("  src/app.ts:3:28", missingArgument.Lines[5]);
        Assert.Equal("    An argument for 'greeting' was not provided.", missingArgument.Lines[^1]);
        Assert.DoesNotContain(errors, e => e.Lines.Any(l => l.StartsWith("Found 8 errors", StringComparison.Ordinal)));
    }

    [Fact]
    public void Tsc_WatchModeRecompiles_SameDiagnosticsCountedTwiceAndPositionsKeptApart()
    {
        var errors = Fixtures.Analyze("tsc-watch.txt").Errors;

        Assert.Equal(8, errors.Count);
        Assert.All(errors, e => Assert.Equal(2, e.Count));
        Assert.Equal((3L, 16L), (errors[0].FirstSequence, errors[0].LastSequence));
        // Same message, other column: another error, not a repeat.
        Assert.StartsWith("src/app.ts(11,71): ", errors[4].Title, StringComparison.Ordinal);
        Assert.StartsWith("src/app.ts(11,74): ", errors[5].Title, StringComparison.Ordinal);
    }

    [Fact]
    public void DotnetUnhandled_InnerException_WholeTraceThroughEndOfInnerException()
    {
        var error = Assert.Single(Fixtures.Analyze("dotnet-unhandled-inner.txt").Errors);

        Assert.Equal(("dotnet-unhandled", "dotnet"), (error.DetectorId, error.Language));
        Assert.Equal("Unhandled exception. System.InvalidOperationException: order 42 could not be imported", error.Title);
        Assert.Equal(8, error.Lines.Count);
        Assert.Equal(" ---> System.FormatException: The input string 'EUR' was not in a correct format.", error.Lines[1]);
        Assert.Equal("   --- End of inner exception stack trace ---", error.Lines[6]);
        // The runtime printed no line break after the last frame: the line still ends the block.
        Assert.Equal("   at Program.<Main>$(String[] args) in " + Work + "/dotnet/OrderImport/Program.cs:line 11", error.Lines[^1]);
    }

    [Fact]
    public void DotnetException_AspNetCoreLogsTheSameExceptionTwice_OneGroupCountTwo()
    {
        var analyzer = Fixtures.Analyze("dotnet-aspnet-logged.txt");

        var error = Assert.Single(analyzer.Errors);
        Assert.Equal("dotnet-exception", error.DetectorId);
        Assert.Equal("System.Collections.Generic.KeyNotFoundException: The given key 'pear' was not present in the dictionary.", error.Title);
        Assert.Equal(2, error.Count);
        Assert.Equal(6, error.Lines.Count);
        Assert.Equal("         at Microsoft.AspNetCore.Diagnostics.DeveloperExceptionPageMiddlewareImpl.Invoke(HttpContext context)", error.Lines[^1]);
        var url = Assert.Single(analyzer.Urls);
        Assert.Equal(("http://localhost:5099", "http://0.0.0.0:5099", 2L), (url.Url, url.Printed, url.Sequence));
    }

    [Fact]
    public void PythonTraceback_ChainedCause_OneBlockTitledByTheFinalException()
    {
        var error = Assert.Single(Fixtures.Analyze("python-chained-traceback.txt").Errors);

        Assert.Equal(("python-traceback", "python"), (error.DetectorId, error.Language));
        Assert.Equal("RuntimeError: job payload is not valid JSON", error.Title);
        Assert.Equal("Traceback (most recent call last):", error.Lines[0]);
        Assert.Equal(26, error.Lines.Count);
        Assert.Contains("The above exception was the direct cause of the following exception:", error.Lines);
        Assert.Equal("RuntimeError: job payload is not valid JSON", error.Lines[^1]);
    }

    [Fact]
    public void PythonTraceback_LoggedEachTime_RepeatsCountedAndOtherErrorsApart()
    {
        var errors = Fixtures.Analyze("python-logging-repeat.txt").Errors;

        Assert.Equal(
            [("KeyError: 'qty'", 2, 8), ("KeyError: 'price'", 1, 8), ("AttributeError: 'NoneType' object has no attribute 'close'", 1, 12)],
            errors.Select(e => (e.Title, e.Count, e.Lines.Count)));
        Assert.Contains("During handling of the above exception, another exception occurred:", errors[2].Lines);
        Assert.DoesNotContain(errors, e => e.Lines.Any(l => l.StartsWith("ERROR:api:", StringComparison.Ordinal)));
    }

    [Fact]
    public void PythonTraceback_SyntaxErrorWithoutHeader_StartsAtTheFileLine()
    {
        var error = Assert.Single(Fixtures.Analyze("python-syntax-error.txt").Errors);

        Assert.Equal("SyntaxError: invalid syntax", error.Title);
        Assert.Equal(["  File \"" + Work + "/python/syntax.py\", line 2", "    def broken(:", "               ^", "SyntaxError: invalid syntax"], error.Lines);
    }

    [Theory]
    [InlineData("go-run-index-panic.txt", "panic: runtime error: index out of range [5] with length 3", 8)]
    [InlineData("go-run-nil-map-panic.txt", "panic: assignment to entry in nil map", 10)]
    public void GoPanic_GoRun_OneBlockFromPanicToExitStatus(string fixture, string title, int lineCount)
    {
        var error = Assert.Single(Fixtures.Analyze(fixture).Errors);

        Assert.Equal(("go-panic", "go"), (error.DetectorId, error.Language));
        Assert.Equal(title, error.Title);
        Assert.Equal(lineCount, error.Lines.Count);
        Assert.Matches(@"^goroutine \d+ \[running\]:$", error.Lines[2]);
        Assert.Equal("exit status 2", error.Lines[^1]);
    }

    [Fact]
    public void GoPanic_HttpHandlerPanicsOnTwoRequests_OneGroupCountTwo()
    {
        var analyzer = Fixtures.Analyze("go-http-panic-repeat.txt");

        var error = Assert.Single(analyzer.Errors);
        Assert.Equal(2, error.Count);
        Assert.EndsWith(" http: panic serving 127.0.0.1:37172: runtime error: invalid memory address or nil pointer dereference", error.Title, StringComparison.Ordinal);
        Assert.Equal(18, error.Lines.Count);
        Assert.Equal("\t/usr/lib/go-1.19/src/net/http/server.go:3102 +0x4db", error.Lines[^1]);
        Assert.Equal((2L, 20L), (error.FirstSequence, error.LastSequence));
        Assert.Equal("http://localhost:8090", Assert.Single(analyzer.Urls).Url);
    }

    [Fact]
    public void RustPanic_WithoutBacktrace_HeaderMessageAndNote()
    {
        var error = Assert.Single(Fixtures.Analyze("rust-panic.txt").Errors);

        Assert.Equal(("rust-panic", "rust"), (error.DetectorId, error.Language));
        Assert.Equal("thread 'main' (27145) panicked at src/main.rs:3:62: called `Option::unwrap()` on a `None` value", error.Title);
        Assert.Equal(3, error.Lines.Count);
        Assert.Equal("note: run with `RUST_BACKTRACE=1` environment variable to display a backtrace", error.Lines[^1]);
    }

    [Fact]
    public void RustPanic_WithBacktrace_WholeBacktraceUpToTheNote()
    {
        var error = Assert.Single(Fixtures.Analyze("rust-panic-backtrace.txt").Errors);

        Assert.Equal(20, error.Lines.Count);
        Assert.Equal("stack backtrace:", error.Lines[2]);
        Assert.Equal("   5: ratelimit::limit_for", error.Lines[13]);
        Assert.Equal("note: Some details are omitted, run with `RUST_BACKTRACE=full` for a verbose backtrace.", error.Lines[^1]);
    }

    [Fact]
    public void RustPanic_TwoThreadsPanicAtTheSamePlace_OneGroupCountTwo()
    {
        var error = Assert.Single(Fixtures.Analyze("rust-panic-threads.txt").Errors);

        // Thread names and ids differ ('worker-http' (27190), 'worker-https' (27191)): the same panic all the same.
        Assert.Equal(2, error.Count);
        Assert.StartsWith("thread 'worker-http' (27190) panicked at src/main.rs:4:17: port must be a number", error.Title, StringComparison.Ordinal);
        Assert.Equal(3, error.Lines.Count);
        Assert.Equal(8, error.LastSequence);
    }

    [Fact]
    public void Java_PrintedTwiceThenUncaughtWithCause_TwoGroups()
    {
        var errors = Fixtures.Analyze("java-exceptions.txt").Errors;

        Assert.Equal(2, errors.Count);
        var printed = errors[0];
        Assert.Equal(("java-exception", "java", 2, 3), (printed.DetectorId, printed.Language, printed.Count, printed.Lines.Count));
        Assert.StartsWith("java.lang.NullPointerException: Cannot invoke", printed.Title, StringComparison.Ordinal);
        var uncaught = errors[1];
        Assert.Equal(("java-uncaught", 1, 9), (uncaught.DetectorId, uncaught.Count, uncaught.Lines.Count));
        Assert.Equal("Exception in thread \"main\" java.lang.IllegalStateException: cannot reserve apple", uncaught.Title);
        Assert.Equal("Caused by: java.lang.NumberFormatException: For input string: \"two\"", uncaught.Lines[3]);
        Assert.Equal("\t... 1 more", uncaught.Lines[^1]);
    }

    [Fact]
    public void HttpUrl_NodeServer_UnspecifiedHostRewrittenOncePerOriginWithoutTrailingPunctuation()
    {
        var analyzer = Fixtures.Analyze("node-http-server-urls.txt");

        Assert.Empty(analyzer.Errors);
        Assert.Equal(
            [("http://localhost:3000", "http://0.0.0.0:3000", 1L), ("http://127.0.0.1:3000/", "http://127.0.0.1:3000/", 3L)],
            analyzer.Urls.Select(u => (u.Url, u.Printed, u.Sequence)));
    }

    [Fact]
    public void HttpUrl_ReachableHostOption_IsTheRewriteTarget()
    {
        var analyzer = Fixtures.Analyze("node-http-server-urls.txt", new LogAnalyzerOptions { ReachableHost = "devbox.internal" });

        // localhost is now another origin than the rewritten 0.0.0.0; the coloured "http://localhost:3000." is its repeat.
        Assert.Equal(
            ["http://devbox.internal:3000", "http://localhost:3000/", "http://127.0.0.1:3000/"],
            analyzer.Urls.Select(u => u.Url));
    }

    [Theory]
    [InlineData("vite-dev.txt", new[] { "http://localhost:5174/" })]
    [InlineData("vite-dev-host.txt", new[] { "http://localhost:5173/", "http://192.0.2.2:5173/" })]
    public void HttpUrl_ViteBannerWithColourInsideTheUrl_WholeUrls(string fixture, string[] urls)
    {
        var analyzer = Fixtures.Analyze(fixture);

        Assert.Empty(analyzer.Errors);
        Assert.Equal(urls, analyzer.Urls.Select(u => u.Url));
    }

    [Fact]
    public void DefaultTable_EveryDetector_FindsSomethingInTheCapturedOutputs()
    {
        var found = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in System.IO.Directory.GetFiles(Fixtures.Directory, "*.txt"))
        {
            var analyzer = Fixtures.Analyze(Path.GetFileName(file));
            found.UnionWith(analyzer.Errors.Select(e => e.DetectorId));
            if (analyzer.Urls.Count > 0)
            {
                found.Add("http-url");
            }
        }

        Assert.Equal(DetectorTable.Default.Detectors.Select(d => d.Id).Order(), found.Order());
    }

    [Fact]
    public void DefaultTable_Hints_OnlySkipLinesThePatternsWouldNotMatch()
    {
        var withoutHints = new DetectorTable(DetectorTable.Default.Detectors.Select(d => d with { Hints = [] }));

        foreach (var file in System.IO.Directory.GetFiles(Fixtures.Directory, "*.txt").Select(Path.GetFileName))
        {
            var hinted = Fixtures.Analyze(file!);
            var plain = Fixtures.Analyze(file!, table: withoutHints);

            Assert.Equal(Summary(plain), Summary(hinted));
            Assert.Equal(plain.Urls, hinted.Urls);
        }

        static IEnumerable<string> Summary(LogAnalyzer analyzer) =>
            analyzer.Errors.Select(e => $"{e.DetectorId} x{e.Count} #{e.FirstSequence}-{e.LastSequence}\n{string.Join('\n', e.Lines)}");
    }

    [Fact]
    public void DefaultTable_EveryPattern_IsCompiledWithAMatchTimeout()
    {
        var patterns = DetectorTable.Default.Detectors.SelectMany(d =>
            new[] { d.Start, d.Body, d.End, d.Chain, d.AfterBlank, d.Volatile }.Concat(d.Confirm).OfType<Regex>()).ToList();

        Assert.True(patterns.Count > 30);
        Assert.All(patterns, p =>
        {
            Assert.Equal(DetectorTable.DefaultMatchTimeout, p.MatchTimeout);
            Assert.True(p.Options.HasFlag(RegexOptions.Compiled));
        });
    }
}
