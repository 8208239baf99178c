using System.Threading.Channels;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Processes.Health;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

/// <summary>
/// A process's two probes together, as status shows them: health starts at starting (or none without a readiness
/// probe), readiness makes it ready, a failing liveness probe makes it unhealthy and asks for a restart, and each run
/// starts over. Real log and exec checks; a clock the test moves.
/// </summary>
public sealed class ProcessProbesTests : IDisposable
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(20);
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);
    private static readonly TimeSpan ReadinessPeriod = TimeSpan.FromSeconds(7);
    private static readonly TimeSpan LivenessDelay = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan LivenessPeriod = TimeSpan.FromSeconds(10);

    private readonly StackDirectory _dir = new(new Dictionary<string, string>());
    private readonly WatchedClock _time = new();
    private readonly Channel<HealthReport> _reports = Channel.CreateUnbounded<HealthReport>();

    private ScriptDefinition Script(ProbeCheck? readiness = null, ProbeCheck? liveness = null) =>
        new("api", "node server.js", "/bin/sh", ["-c", "node server.js"], _dir.Path, "brummer.yaml")
        {
            Readiness = readiness is null ? null : new ProbeDefinition(readiness) { Period = ReadinessPeriod, Timeout = Timeout },
            Liveness = liveness is null ? null : new ProbeDefinition(liveness)
            {
                InitialDelay = LivenessDelay,
                Period = LivenessPeriod,
                Timeout = Timeout,
                FailureThreshold = 1,
            },
        };

    private void Report(HealthReport report) => _reports.Writer.TryWrite(report);

    private Task<HealthReport> NextReportAsync() =>
        _reports.Reader.ReadAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(Patience, TestContext.Current.CancellationToken);

    [Fact]
    public async Task ProcessProbes_NoProbes_HealthIsNoneAndStaysSo()
    {
        var probes = new ProcessProbes(Script(), _time);

        await using var run = probes.Start(Report);
        run.Observe("anything");

        Assert.Equal(ProcessHealth.None, probes.InitialHealth);
        Assert.Equal(ProcessHealth.None, run.Health);
        Assert.False(_reports.Reader.TryRead(out _));
    }

    [Fact]
    public async Task ProcessProbes_LogReadiness_StartingUntilTheLineThenReady()
    {
        var probes = new ProcessProbes(Script(readiness: new LogCheck("ready to accept connections")), _time);
        await using var run = probes.Start(Report);
        await _time.TimerAsync(ReadinessPeriod); // checked once: nothing printed yet
        Assert.Equal(ProcessHealth.Starting, run.Health);
        Assert.Equal(ProbeOutcome.Fail("no line matched /ready to accept connections/ yet"), run.LastReadiness);

        run.Observe("database system is ready to accept connections");

        var report = await NextReportAsync();
        Assert.Equal((ProcessHealth.Ready, false, "printed a line matching /ready to accept connections/"), (report.Health, report.LivenessFailed, report.Reason));
        Assert.Equal(ProcessHealth.Ready, run.Health);
    }

    [Fact]
    public async Task ProcessProbes_LogReadiness_LineSeenBeforeTheChecksStart_ReadyOnceStarted()
    {
        var probes = new ProcessProbes(Script(readiness: new LogCheck("ready")), _time);
        await using var run = probes.Prepare(Report);

        run.Observe("ready"); // printed before the node got round to starting the checks
        Assert.Equal(ProcessHealth.Starting, run.Health);
        Assert.False(_reports.Reader.TryRead(out _));
        run.Start();

        var report = await NextReportAsync();
        Assert.Equal(ProcessHealth.Ready, report.Health);
    }

    [Fact]
    public async Task ProcessProbes_NextRun_LogReadinessStartsOverUnmatched()
    {
        var probes = new ProcessProbes(Script(readiness: new LogCheck("ready")), _time);
        await using (var first = probes.Start(Report))
        {
            await _time.TimerAsync(ReadinessPeriod); // checked once, waiting
            first.Observe("ready");
            Assert.Equal(ProcessHealth.Ready, (await NextReportAsync()).Health);
            await _time.TimerAsync(ReadinessPeriod); // checked again, waiting: this run's timers are all seen
        }

        await using var second = probes.Start(Report);
        await _time.TimerAsync(ReadinessPeriod);

        Assert.Equal(ProcessHealth.Starting, second.Health);
        Assert.Equal(ProbeOutcome.Fail("no line matched /ready/ yet"), second.LastReadiness);
    }

    [Fact]
    public async Task ProcessProbes_LivenessFailsThenRecovers_UnhealthyAskingForRestartThenReadyAgain()
    {
        var alive = _dir.File("alive");
        var probes = new ProcessProbes(Script(readiness: new LogCheck("ready"), liveness: new ExecCheck("test -f alive")), _time);
        await using var run = probes.Start(Report);
        run.Observe("ready");
        Assert.Equal(ProcessHealth.Ready, (await NextReportAsync()).Health);

        await _time.TimerAsync(LivenessDelay);
        _time.Advance(LivenessDelay); // liveness checks: no 'alive' file

        var failed = await NextReportAsync();
        Assert.Equal((ProcessHealth.Unhealthy, true, "exit 1"), (failed.Health, failed.LivenessFailed, failed.Reason));
        Assert.Equal(ProcessHealth.Unhealthy, run.Health);

        File.WriteAllText(alive, "");
        await _time.TimerAsync(LivenessPeriod);
        _time.Advance(LivenessPeriod); // readiness checks again too (still ready: no report), liveness now passes

        var recovered = await NextReportAsync();
        Assert.Equal((ProcessHealth.Ready, false, "exit 0"), (recovered.Health, recovered.LivenessFailed, recovered.Reason));
    }

    [Fact]
    public async Task ProcessProbes_LivenessWithReadiness_NotCheckedUntilFirstReady_SoASlowStartIsNotKilled()
    {
        var probes = new ProcessProbes(Script(readiness: new LogCheck("ready"), liveness: new ExecCheck("echo 'not listening' >&2; exit 1")), _time);
        await using var run = probes.Start(Report);

        // Three readiness periods (21 s) of starting up, far past the liveness delay: only readiness waits.
        for (var round = 0; round < 3; round++)
        {
            Assert.Equal(ReadinessPeriod, await _time.NextWaitAsync(ignored: Timeout));
            _time.Advance(ReadinessPeriod);
        }

        Assert.Equal(ProcessHealth.Starting, run.Health);
        run.Observe("ready");
        var ready = await NextReportAsync(); // the first report: no liveness failure came before it
        Assert.Equal((ProcessHealth.Ready, false), (ready.Health, ready.LivenessFailed));

        // Ready: liveness now begins with its own delay, and its failure asks for a restart.
        await _time.TimerAsync(LivenessDelay);
        _time.Advance(LivenessDelay);
        var failed = await NextReportAsync();
        Assert.Equal((ProcessHealth.Unhealthy, true, "exit 1: not listening"), (failed.Health, failed.LivenessFailed, failed.Reason));
    }

    [Fact]
    public async Task ProcessProbes_LivenessOnlyFails_UnhealthyFromNone()
    {
        var probes = new ProcessProbes(Script(liveness: new ExecCheck("echo 'worker queue stuck' >&2; exit 4")), _time);
        await using var run = probes.Start(Report);
        Assert.Equal(ProcessHealth.None, run.Health);

        await _time.TimerAsync(LivenessDelay);
        _time.Advance(LivenessDelay);

        var failed = await NextReportAsync();
        Assert.Equal((ProcessHealth.Unhealthy, true, "exit 4: worker queue stuck"), (failed.Health, failed.LivenessFailed, failed.Reason));
    }

    [Fact]
    public void ProcessProbes_InvalidLogPattern_IsRefusedWhenTheDefinitionIsLoaded()
    {
        var error = Assert.Throws<ArgumentException>(() => new ProcessProbes(Script(readiness: new LogCheck("[a-")), _time));

        Assert.Contains("log probe pattern /[a-/ is not a valid regular expression", error.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _dir.Dispose();
}
