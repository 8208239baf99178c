namespace Brummer.Benchmarks;

/// <summary>
/// Runs one body on a fixed set of threads (the calling thread plus <c>threads - 1</c> dedicated ones) and returns
/// when all have finished: the C# counterpart of Go's <c>b.RunParallel</c> for BenchmarkDotNet. The threads live
/// for the whole benchmark, so an invocation costs two barrier phases, not thread starts; the harness benchmark
/// measures that cost. Bodies are cached delegates, so <see cref="Run"/> allocates nothing.
/// </summary>
internal sealed class ParallelLoop : IDisposable
{
    private readonly Thread[] _workers;
    private readonly Barrier _start;
    private readonly Barrier _done;
    private Action<int> _body = static _ => { };
    private volatile bool _stopping;

    public ParallelLoop(int threads)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        Threads = threads;
        _start = new Barrier(threads);
        _done = new Barrier(threads);
        _workers = new Thread[threads - 1];
        for (var i = 0; i < _workers.Length; i++)
        {
            var worker = i + 1;
            _workers[i] = new Thread(() => Work(worker)) { IsBackground = true, Name = $"bench-worker-{worker}" };
            _workers[i].Start();
        }
    }

    public int Threads { get; }

    /// <summary>
    /// Splits <paramref name="total"/> operations over the threads: the count thread <paramref name="worker"/> does.
    /// </summary>
    public int Share(int total, int worker) => (total / Threads) + (worker < total % Threads ? 1 : 0);

    /// <summary>Runs <paramref name="body"/>(worker index) on every thread at once and waits for all of them.</summary>
    public void Run(Action<int> body)
    {
        _body = body;
        _start.SignalAndWait();
        body(0);
        _done.SignalAndWait();
    }

    public void Dispose()
    {
        _stopping = true;
        _start.SignalAndWait();
        foreach (var worker in _workers)
        {
            worker.Join();
        }

        _start.Dispose();
        _done.Dispose();
    }

    private void Work(int worker)
    {
        while (true)
        {
            _start.SignalAndWait();
            if (_stopping)
            {
                return;
            }

            _body(worker);
            _done.SignalAndWait();
        }
    }
}
