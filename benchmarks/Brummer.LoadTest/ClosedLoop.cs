using System.Diagnostics;

namespace Brummer.LoadTest;

/// <summary>One call of a closed-loop worker: true if it succeeded, false (with a reason) if it answered an error.</summary>
internal delegate Task<(bool Ok, string? Error)> WorkerCall(int worker, CancellationToken cancellationToken);

/// <summary>
/// A stretch of a closed-loop run: calls in it count for <see cref="Mode"/> (negative: not measured) once
/// <see cref="Settle"/> has passed since the stretch began.
/// </summary>
internal sealed record Segment(int Mode, TimeSpan Length, TimeSpan Settle);

internal enum SegmentEvent
{
    /// <summary>The segment begins (its settle time starts): switch the load it is about (e.g. churn on).</summary>
    Start,

    /// <summary>Its measured part begins.</summary>
    Measure,

    /// <summary>Its measured part ends.</summary>
    End,
}

/// <summary>
/// N workers, each issuing its next call as soon as the previous one returns, without pause, through a list of
/// segments. A call counts for a segment's mode if it started and ended inside that segment's measured part;
/// throughput is those calls over the measured time. CPU is sampled at the edges of every measured part.
/// Paced instead (<c>pace</c> set): each worker asks every <c>pace</c> whether or not its previous call has answered
/// (an open loop), and a call counts for the segment it was asked in however long it takes: a call stalled for
/// seconds neither hides the calls that would have followed it nor drops out of the figures for ending too late; its
/// latency counts from when it was due, not from when a late timer let it go.
/// Alternating two modes in short segments (idle, churn, idle, churn...) exposes both to the same background load
/// of a shared machine, which a long phase of each, one after the other, does not.
/// </summary>
internal static class ClosedLoop
{
    public static Task<PhaseResult> RunAsync(
        string name, int workers, WorkerCall call, TimeSpan warmup, TimeSpan duration, CpuSampler cpu, CancellationToken cancellationToken) =>
        RunAsync([name], workers, call, [new Segment(0, warmup + duration, warmup)], cpu, null, cancellationToken)
            .ContinueWith(t => t.Result[0], cancellationToken, TaskContinuationOptions.OnlyOnRanToCompletion, TaskScheduler.Default);

    public static Task<PhaseResult[]> RunAsync(
        IReadOnlyList<string> modes, int workers, WorkerCall call, IReadOnlyList<Segment> segments, CpuSampler cpu,
        Func<int, SegmentEvent, DateTime, Task>? onEvent, CancellationToken cancellationToken) =>
        RunAsync(modes, workers, call, segments, cpu, onEvent, pace: null, cancellationToken);

    public static async Task<PhaseResult[]> RunAsync(
        IReadOnlyList<string> modes, int workers, WorkerCall call, IReadOnlyList<Segment> segments, CpuSampler cpu,
        Func<int, SegmentEvent, DateTime, Task>? onEvent, TimeSpan? pace, CancellationToken cancellationToken)
    {
        // Absolute bounds, in Stopwatch ticks: [start, measure) settles, [measure, end) is measured.
        var begin = Stopwatch.GetTimestamp();
        var bounds = new (long Start, long Measure, long End)[segments.Count];
        var at = begin;
        for (var i = 0; i < segments.Count; i++)
        {
            var length = Ticks(segments[i].Length);
            bounds[i] = (at, at + Math.Min(Ticks(segments[i].Settle), length), at + length);
            at += length;
        }

        var runEnd = at;
        var logs = new LatencyLog[workers, modes.Count];
        var errors = new long[modes.Count];
        var errorsOutside = 0L;
        var errorSamples = new List<string>[modes.Count];
        var measured = new TimeSpan[modes.Count];
        var cpuWindows = new List<(CpuSample Start, CpuSample End)>[modes.Count];
        for (var m = 0; m < modes.Count; m++)
        {
            errorSamples[m] = [];
            cpuWindows[m] = [];
        }

        var completed = 0L;
        var controller = Task.Run(
            async () =>
            {
                var last = 0L;
                var lastProgress = Stopwatch.GetTimestamp();
                for (var i = 0; i < segments.Count; i++)
                {
                    var mode = segments[i].Mode;
                    await DelayUntilAsync(bounds[i].Start, cancellationToken);
                    await Raise(i, SegmentEvent.Start, bounds[i].Start);
                    await DelayUntilAsync(bounds[i].Measure, cancellationToken);
                    await Raise(i, SegmentEvent.Measure, bounds[i].Measure);
                    var start = cpu.Take();

                    // Calls/s every 5 s on stderr: shows whether warm-up was long enough and how noisy the machine is.
                    while (Stopwatch.GetTimestamp() + Ticks(TimeSpan.FromSeconds(5)) < bounds[i].End)
                    {
                        await DelayUntilAsync(lastProgress + Ticks(TimeSpan.FromSeconds(5)), cancellationToken);
                        Progress(mode >= 0 ? modes[mode] : "warm-up", ref last, ref lastProgress);
                    }

                    await DelayUntilAsync(bounds[i].End, cancellationToken);
                    var end = cpu.Take();
                    await Raise(i, SegmentEvent.End, bounds[i].End);
                    if (mode >= 0)
                    {
                        cpuWindows[mode].Add((start, end));
                        measured[mode] += Duration(bounds[i].End - bounds[i].Measure);
                    }
                }

                // A handler that takes time (a control call) delays only what follows it in this segment's settle time.
                async Task Raise(int segment, SegmentEvent e, long at)
                {
                    if (onEvent is not null)
                    {
                        await onEvent(segment, e, Utc(at));
                    }
                }

                void Progress(string label, ref long lastCount, ref long lastAt)
                {
                    var now = Stopwatch.GetTimestamp();
                    var count = Interlocked.Read(ref completed);
                    LoadRun.Log($"  {label}: {(count - lastCount) / Duration(now - lastAt).TotalSeconds:0} calls/s");
                    (lastCount, lastAt) = (count, now);
                }
            },
            cancellationToken);

        var tasks = Enumerable.Range(0, workers).Select(worker => Task.Run(
            async () =>
            {
                for (var m = 0; m < modes.Count; m++)
                {
                    logs[worker, m] = new LatencyLog();
                }

                if (pace is not { } interval)
                {
                    while (!cancellationToken.IsCancellationRequested && Stopwatch.GetTimestamp() < runEnd)
                    {
                        await CallAsync(worker, due: null);
                    }

                    return;
                }

                // Workers spread over the interval, so a paced run asks at an even rate, not in bursts.
                var asked = new List<Task>();
                var next = begin + (Ticks(interval) * worker / workers);
                try
                {
                    while (next < runEnd)
                    {
                        await DelayUntilAsync(next, cancellationToken);
                        asked.Add(CallAsync(worker, due: next));
                        next += Ticks(interval);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                }

                await Task.WhenAll(asked);
            },
            cancellationToken)).ToList();

        await Task.WhenAll(tasks);
        await controller;
        return [.. Enumerable.Range(0, modes.Count).Select(m =>
        {
            var latency = LatencySummary.From(Enumerable.Range(0, workers).Select(w => logs[w, m]));
            return new PhaseResult(
                modes[m],
                workers,
                measured[m],
                latency,
                measured[m] > TimeSpan.Zero ? latency.Count / measured[m].TotalSeconds : 0,
                errors[m],
                errorsOutside,
                errorSamples[m],
                CpuSampler.Over(cpuWindows[m]))
            {
                Logs = [.. Enumerable.Range(0, workers).Select(w => logs[w, m])],
            };
        })];

        // One call and its record; a paced worker has several in flight, so a worker's log is locked while written. A
        // paced call's latency counts from when it was due: a timer that fires late on a busy machine adds to it.
        async Task CallAsync(int worker, long? due)
        {
            var started = due ?? Stopwatch.GetTimestamp();
            (bool Ok, string? Error) outcome;
            try
            {
                outcome = await call(worker, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                outcome = (false, $"{ex.GetType().Name}: {ex.Message}");
            }

            var ended = Stopwatch.GetTimestamp();
            Interlocked.Increment(ref completed);
            var mode = MeasuredMode(started, ended);
            if (outcome.Ok)
            {
                if (mode >= 0)
                {
                    var log = logs[worker, mode];
                    lock (log)
                    {
                        log.Add(ended - started);
                    }
                }

                return;
            }

            lock (errorSamples)
            {
                if (mode >= 0)
                {
                    errors[mode]++;
                    if (errorSamples[mode].Count < 5)
                    {
                        errorSamples[mode].Add(outcome.Error ?? "error");
                    }
                }
                else
                {
                    errorsOutside++;
                }
            }
        }

        int MeasuredMode(long started, long ended)
        {
            for (var i = 0; i < bounds.Length; i++)
            {
                if (started >= bounds[i].Measure && started < bounds[i].End && (pace is not null || ended <= bounds[i].End))
                {
                    return segments[i].Mode;
                }
            }

            return -1;
        }

        DateTime Utc(long timestamp) => DateTime.UtcNow + Duration(timestamp - Stopwatch.GetTimestamp());
    }

    private static long Ticks(TimeSpan span) => (long)(span.TotalSeconds * Stopwatch.Frequency);

    private static TimeSpan Duration(long ticks) => TimeSpan.FromSeconds((double)ticks / Stopwatch.Frequency);

    private static async Task DelayUntilAsync(long timestamp, CancellationToken cancellationToken)
    {
        var wait = timestamp - Stopwatch.GetTimestamp();
        if (wait > 0)
        {
            await Task.Delay(Duration(wait), cancellationToken);
        }
    }
}

internal sealed record PhaseResult(
    string Name,
    int Workers,
    TimeSpan Duration,
    LatencySummary Latency,
    double CallsPerSecond,
    long Errors,
    long ErrorsOutsideWindow,
    IReadOnlyList<string> ErrorSamples,
    CpuUsage Cpu)
{
    /// <summary>Every latency recorded, per worker: to pool phases of several processes.</summary>
    public IReadOnlyList<LatencyLog> Logs { get; init; } = [];
}
