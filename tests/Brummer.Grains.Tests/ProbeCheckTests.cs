using System.Net;
using System.Net.Sockets;
using System.Text;
using Brummer.Grains.Discovery;
using Brummer.Grains.Processes;
using Brummer.Grains.Processes.Health;
using Brummer.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brummer.Grains.Tests;

/// <summary>
/// Each probe check against the real thing: an HTTP server and a TCP listener on loopback, /bin/sh commands (including
/// one that outlives its timeout and must be killed with its child), and the log check fed lines.
/// </summary>
public sealed class ProbeCheckTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private readonly StackDirectory _dir = new(new Dictionary<string, string>());

    // --- http_get ---

    [Fact]
    public async Task HttpGet_ServerAnswers200_PassesWithTheStatus()
    {
        await using var server = TinyHttpServer.Start(200);
        var check = new HttpGetProbeCheck(new HttpGetCheck(server.Url("/health"), null));

        var outcome = await check.CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Pass($"GET {server.Url("/health")} answered 200"), outcome);
        Assert.StartsWith("GET /health HTTP/1.1", server.LastRequest, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpGet_ServerAnswersRedirect_PassesAsAny3xx()
    {
        await using var server = TinyHttpServer.Start(304);

        var outcome = await new HttpGetProbeCheck(new HttpGetCheck(server.Url("/"), null)).CheckAsync(TestContext.Current.CancellationToken);

        Assert.True(outcome.Passed, outcome.Reason);
    }

    [Fact]
    public async Task HttpGet_ServerAnswers503_FailsWithTheStatus()
    {
        await using var server = TinyHttpServer.Start(503);

        var outcome = await new HttpGetProbeCheck(new HttpGetCheck(server.Url("/health"), null)).CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Fail($"GET {server.Url("/health")} answered 503"), outcome);
    }

    [Fact]
    public async Task HttpGet_ExpectedStatus_OnlyThatOnePasses()
    {
        await using var server = TinyHttpServer.Start(200);
        var check = new HttpGetProbeCheck(new HttpGetCheck(server.Url("/"), 204));

        var wrong = await check.CheckAsync(TestContext.Current.CancellationToken);
        server.Status = 204;
        var right = await check.CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Fail($"GET {server.Url("/")} answered 200, expected 204"), wrong);
        Assert.True(right.Passed, right.Reason);
    }

    [Fact]
    public async Task HttpGet_NothingListening_FailsAsRefused()
    {
        var port = ClosedPort();
        var url = new Uri($"http://127.0.0.1:{port}/health");

        var outcome = await new HttpGetProbeCheck(new HttpGetCheck(url, null)).CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Fail($"GET {url}: connection to 127.0.0.1:{port} refused"), outcome);
    }

    [Fact]
    public async Task HttpGet_ServerNeverAnswers_EndsWhenTheTimeoutTokenFires()
    {
        await using var server = TinyHttpServer.Start(200, silent: true);
        using var timeout = new CancellationTokenSource(TimeSpan.FromMilliseconds(300));

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            async () => await new HttpGetProbeCheck(new HttpGetCheck(server.Url("/"), null)).CheckAsync(timeout.Token));
    }

    [Fact]
    public async Task HttpGet_UrlWithPassword_ReasonLeavesItOut()
    {
        await using var server = TinyHttpServer.Start(500);
        var url = new Uri($"http://admin:s3cret@127.0.0.1:{server.Port}/health");

        var outcome = await new HttpGetProbeCheck(new HttpGetCheck(url, null)).CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Fail($"GET http://127.0.0.1:{server.Port}/health answered 500"), outcome);
        Assert.DoesNotContain("s3cret", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task HttpGet_EachCheck_OpensANewConnection()
    {
        await using var server = TinyHttpServer.Start(200, keepAlive: true);
        var check = new HttpGetProbeCheck(new HttpGetCheck(server.Url("/"), null));

        await check.CheckAsync(TestContext.Current.CancellationToken);
        await check.CheckAsync(TestContext.Current.CancellationToken);

        // A pooled connection would let a server that stopped accepting new ones pass forever.
        Assert.Equal(2, server.Connections);
    }

    // --- tcp ---

    [Fact]
    public async Task Tcp_PortListening_Passes()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;

        var outcome = await new TcpProbeCheck(new TcpCheck("127.0.0.1", port)).CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Pass($"connection to 127.0.0.1:{port} opened"), outcome);
    }

    [Fact]
    public async Task Tcp_PortClosed_FailsAsRefused()
    {
        var port = ClosedPort();

        var outcome = await new TcpProbeCheck(new TcpCheck("127.0.0.1", port)).CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Fail($"connection to 127.0.0.1:{port} refused"), outcome);
    }

    [Fact]
    public async Task Tcp_LocalhostByName_Passes()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();

        var outcome = await new TcpProbeCheck(new TcpCheck("localhost", ((IPEndPoint)listener.LocalEndpoint).Port)).CheckAsync(TestContext.Current.CancellationToken);

        Assert.True(outcome.Passed, outcome.Reason);
    }

    // --- exec ---

    [Fact]
    public async Task Exec_CommandExits0_Passes()
    {
        var outcome = await Exec("exit 0").CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Pass("exit 0"), outcome);
    }

    [Fact]
    public async Task Exec_CommandExits1_FailsWithTheFirstLineOfStderr()
    {
        var outcome = await Exec("echo checking; echo; echo '  database is not accepting connections  ' >&2; echo more >&2; exit 1").CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Fail("exit 1: database is not accepting connections"), outcome);
    }

    [Fact]
    public async Task Exec_CommandExits2PrintingOnlyToStdout_FailsWithItsFirstLine()
    {
        var outcome = await Exec("echo; echo '127.0.0.1:5432 - no response'; echo second; exit 2").CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Fail("exit 2: 127.0.0.1:5432 - no response"), outcome);
    }

    [Fact]
    public async Task Exec_CommandNotFound_FailsWithTheShellsComplaint()
    {
        var outcome = await Exec("no-such-command-brummer").CheckAsync(TestContext.Current.CancellationToken);

        Assert.False(outcome.Passed);
        Assert.StartsWith("exit 127: ", outcome.Reason, StringComparison.Ordinal);
        Assert.Contains("no-such-command-brummer", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_Command_RunsInTheProcessDirectoryWithItsEnvironment()
    {
        File.WriteAllText(_dir.File("marker.txt"), "here");
        var check = new ExecProbeCheck(
            """[ -f marker.txt ] && [ "$PROBE_GREETING" = "hello there" ] || { echo "cwd=$(pwd) greeting=$PROBE_GREETING"; exit 1; }""",
            _dir.Path,
            new Dictionary<string, string> { ["PROBE_GREETING"] = "hello there" });

        var outcome = await check.CheckAsync(TestContext.Current.CancellationToken);

        Assert.True(outcome.Passed, outcome.Reason);
    }

    [Fact]
    public async Task Exec_ViaFactory_UsesTheScriptsDirectoryAndEnvironment()
    {
        File.WriteAllText(_dir.File("marker.txt"), "here");
        var script = new ScriptDefinition("db", "sleep 1", "/bin/sh", ["-c", "sleep 1"], _dir.Path, "brummer.yaml")
        {
            Environment = System.Collections.Immutable.ImmutableSortedDictionary<string, string>.Empty.Add("PROBE_GREETING", "hi"),
        };

        var check = ProbeChecks.Create(new ExecCheck("""[ -f marker.txt ] && [ "$PROBE_GREETING" = hi ]"""), script);

        Assert.True((await check.CheckAsync(TestContext.Current.CancellationToken)).Passed);
    }

    [Fact]
    public async Task Exec_WorkingDirectoryMissing_FailsSayingSo()
    {
        var missing = _dir.File("gone");

        var outcome = await new ExecProbeCheck("exit 0", missing).CheckAsync(TestContext.Current.CancellationToken);

        Assert.False(outcome.Passed);
        Assert.StartsWith($"exec probe cannot run in '{missing}': ", outcome.Reason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Exec_CancelledWhileRunning_KillsTheShellAndItsChildBeforeReturning()
    {
        var check = Exec($"echo $$ > sh.pid; sleep 300 & echo $! > child.pid; wait");
        using var cancel = new CancellationTokenSource();
        var running = check.CheckAsync(cancel.Token).AsTask();
        var shell = Dummy.ReadPid(await Eventually.FileAsync(_dir.File("sh.pid")));
        var child = Dummy.ReadPid(await Eventually.FileAsync(_dir.File("child.pid")));
        Assert.True(OsProcesses.IsAlive(shell) && OsProcesses.IsAlive(child));

        await cancel.CancelAsync(); // what the probe's timeout does

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => running.WaitAsync(Patience, TestContext.Current.CancellationToken));
        Assert.False(OsProcesses.IsAlive(shell), "the probe's shell is still running");
        Assert.False(OsProcesses.IsAlive(child), "the probe's background child is still running");
        Assert.Empty(OsProcesses.GroupMembers(shell));
    }

    [Fact]
    public async Task Exec_OutlivesProbeTimeoutInALoop_FailsAsTimedOutAndLeavesNothingRunning()
    {
        var probe = new ProbeDefinition(new ExecCheck("unused")) { Timeout = TimeSpan.FromMilliseconds(500), Period = TimeSpan.FromHours(1), FailureThreshold = 1 };
        var verdict = new TaskCompletionSource<ProbeVerdict>(TaskCreationOptions.RunContinuationsAsynchronously);
        var check = Exec("echo $$ > sh.pid; sleep 300 & echo $! > child.pid; wait");
        await using var loop = new ProbeLoop(ProbeKind.Liveness, probe, check, TimeProvider.System, v => verdict.TrySetResult(v));

        loop.Start();

        var failed = await verdict.Task.WaitAsync(Patience, TestContext.Current.CancellationToken);
        Assert.Equal((false, "exec probe timed out after 0.5 s"), (failed.Passing, failed.Reason));
        // The verdict follows the kill: both are gone by the time it is reported (if the shell got as far as starting them).
        foreach (var file in ((string[])["sh.pid", "child.pid"]).Select(_dir.File).Where(File.Exists))
        {
            if (int.TryParse(File.ReadAllText(file), out var pid))
            {
                Assert.False(OsProcesses.IsAlive(pid), $"{file} is still running");
            }
        }
    }

    [Fact]
    public async Task Exec_NodeKilledWhileRunning_WatchdogStopsTheProbesGroup()
    {
        var watchdog = new ProcessWatchdog(new ProcessOptions { OrphanGrace = TimeSpan.FromMilliseconds(300) }, NullLogger<ProcessWatchdog>.Instance);
        var check = new ExecProbeCheck("echo $$ > sh.pid; sleep 300 & echo $! > child.pid; wait", _dir.Path, watchdog: watchdog);
        var running = check.CheckAsync(TestContext.Current.CancellationToken).AsTask();
        var child = Dummy.ReadPid(await Eventually.FileAsync(_dir.File("child.pid")));

        watchdog.Dispose(); // what the kernel does for a SIGKILLed node: its end of the pipe closes

        // Only the watchdog sends SIGTERM here: the shell ending by it shows the probe's group was listed.
        Assert.Equal(ProbeOutcome.Fail("exit 143"), await running.WaitAsync(Patience, TestContext.Current.CancellationToken));
        Assert.False(OsProcesses.IsAlive(child), "the probe's background child is still running");
    }

    [Fact]
    public async Task Exec_LeavesABackgroundJob_PassesAndTheJobIsKilled()
    {
        var outcome = await Exec("sleep 300 & echo $! > child.pid; exit 0").CheckAsync(TestContext.Current.CancellationToken);

        Assert.Equal(ProbeOutcome.Pass("exit 0"), outcome); // returns although the job still held the pipes
        Assert.False(OsProcesses.IsAlive(Dummy.ReadPid(_dir.File("child.pid"))), "the probe's background job is still running");
    }

    [Fact]
    public async Task Exec_FloodsOutput_IsReadToTheEndAndOnlyTheStartKept()
    {
        // 8 MiB: far more than a pipe holds, so the command blocks unless the check keeps reading.
        var outcome = await Exec("head -c 8388608 /dev/zero | tr '\\0' 'y'; echo; exit 3").CheckAsync(TestContext.Current.CancellationToken);

        Assert.False(outcome.Passed);
        Assert.StartsWith("exit 3: yyyy", outcome.Reason, StringComparison.Ordinal);
        Assert.True(outcome.Reason.Length < 300, $"the reason is {outcome.Reason.Length} characters long");
    }

    // --- log ---

    [Fact]
    public async Task Log_NoLineMatchedYet_FailsNamingThePattern()
    {
        var check = new LogProbeCheck(LogProbeCheck.Compile("ready"));
        check.Observe("starting up");

        Assert.Equal(ProbeOutcome.Fail("no line matched /ready/ yet"), await check.CheckAsync(TestContext.Current.CancellationToken));
        Assert.False(check.Signaled.IsCompleted);
    }

    [Fact]
    public async Task Log_LineMatches_PassesFromThenOn()
    {
        var check = new LogProbeCheck(LogProbeCheck.Compile(@"listening on :\d+"));
        check.Observe("compiling");

        check.Observe("server listening on :3000");
        check.Observe("GET / 500"); // later lines change nothing: it latched

        Assert.Equal(ProbeOutcome.Pass(@"printed a line matching /listening on :\d+/"), await check.CheckAsync(TestContext.Current.CancellationToken));
        Assert.True(check.Signaled.IsCompleted);
    }

    [Fact]
    public async Task Log_LinesFromSeveralThreads_LatchesOnce()
    {
        var check = new LogProbeCheck(LogProbeCheck.Compile("ready"));

        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(() =>
        {
            for (var i = 0; i < 10_000; i++)
            {
                check.Observe(i == 5_000 && t == 2 ? "now ready" : "noise");
            }
        }, TestContext.Current.CancellationToken)));

        Assert.True((await check.CheckAsync(TestContext.Current.CancellationToken)).Passed);
    }

    [Fact]
    public async Task Log_PatternWithBackreference_StillMatches()
    {
        // Backreferences need the backtracking engine: the fallback must work.
        var check = new LogProbeCheck(LogProbeCheck.Compile(@"(\w)\1"));

        check.Observe("abc");
        var before = await check.CheckAsync(TestContext.Current.CancellationToken);
        check.Observe("hello");

        Assert.False(before.Passed);
        Assert.True((await check.CheckAsync(TestContext.Current.CancellationToken)).Passed);
    }

    [Fact]
    public async Task Log_CatastrophicPattern_GivesUpInsteadOfStallingOutput()
    {
        // A lookahead forces the backtracking engine; nested quantifiers against a non-match explode exponentially.
        var check = new LogProbeCheck(LogProbeCheck.Compile("(?=(a+)+b)"));

        check.Observe(new string('a', 40));
        var started = System.Diagnostics.Stopwatch.StartNew();
        check.Observe(new string('a', 40)); // gave up: costs nothing now

        Assert.True(started.Elapsed < TimeSpan.FromMilliseconds(500), $"observing took {started.Elapsed} after giving up");
        var outcome = await check.CheckAsync(TestContext.Current.CancellationToken);
        Assert.False(outcome.Passed);
        Assert.Equal("/(?=(a+)+b)/ took longer than 1 s on a line; the log probe stopped matching (simplify the pattern)", outcome.Reason);
    }

    [Fact]
    public void Log_InvalidPattern_IsRefusedNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => LogProbeCheck.Compile("(unclosed"));

        Assert.StartsWith("log probe pattern /(unclosed/ is not a valid regular expression: ", error.Message, StringComparison.Ordinal);
    }

    private ExecProbeCheck Exec(string command) => new(command, _dir.Path);

    /// <summary>A loopback port nobody listens on (it was just released; nothing else here binds ephemeral ports on purpose).</summary>
    private static int ClosedPort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    public void Dispose() => _dir.Dispose();

    /// <summary>Just enough HTTP/1.1 on a real loopback socket: answers every request with <see cref="Status"/> (or never, when silent).</summary>
    private sealed class TinyHttpServer : IAsyncDisposable
    {
        private readonly TcpListener _listener = new(IPAddress.Loopback, 0);
        private readonly CancellationTokenSource _stop = new();
        private readonly bool _silent;
        private readonly bool _keepAlive;
        private Task _accepting = Task.CompletedTask;
        private int _connections;
        private string? _lastRequest;

        private TinyHttpServer(int status, bool silent, bool keepAlive)
        {
            Status = status;
            _silent = silent;
            _keepAlive = keepAlive;
        }

        public int Status { get; set; }

        public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

        public int Connections => Volatile.Read(ref _connections);

        public string? LastRequest => Volatile.Read(ref _lastRequest);

        public static TinyHttpServer Start(int status, bool silent = false, bool keepAlive = false)
        {
            var server = new TinyHttpServer(status, silent, keepAlive);
            server._listener.Start();
            server._accepting = server.AcceptAsync();
            return server;
        }

        public Uri Url(string path) => new($"http://127.0.0.1:{Port}{path}");

        private async Task AcceptAsync()
        {
            try
            {
                while (true)
                {
                    var client = await _listener.AcceptTcpClientAsync(_stop.Token);
                    Interlocked.Increment(ref _connections);
                    _ = ServeAsync(client);
                }
            }
            catch (OperationCanceledException)
            {
            }
        }

        private async Task ServeAsync(TcpClient client)
        {
            using var _ = client;
            try
            {
                var stream = client.GetStream();
                var buffer = new byte[8192];
                while (true)
                {
                    var head = new StringBuilder();
                    while (!head.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
                    {
                        var read = await stream.ReadAsync(buffer, _stop.Token);
                        if (read == 0)
                        {
                            return;
                        }

                        head.Append(Encoding.ASCII.GetString(buffer, 0, read));
                    }

                    Volatile.Write(ref _lastRequest, head.ToString());
                    if (_silent)
                    {
                        await Task.Delay(System.Threading.Timeout.Infinite, _stop.Token);
                    }

                    var connection = _keepAlive ? "keep-alive" : "close";
                    await stream.WriteAsync(Encoding.ASCII.GetBytes($"HTTP/1.1 {Status} Whatever\r\nContent-Length: 0\r\nConnection: {connection}\r\n\r\n"), _stop.Token);
                    if (!_keepAlive)
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is OperationCanceledException or IOException)
            {
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _stop.CancelAsync();
            _listener.Stop();
            await _accepting;
            _stop.Dispose();
        }
    }
}
