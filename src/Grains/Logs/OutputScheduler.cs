using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Brummer.Grains.Logs;

/// <summary>
/// Where output capture runs: a few dedicated threads at nice +10 (about a tenth of a normal thread's CPU weight).
/// On the thread pool, a process printing flat out would hold a pool thread (a pipe read completes at once while data
/// waits, so the loop never yields) and compete on equal terms with status and control requests. Here, when the
/// cores are contended, the kernel gives those requests ten times the share of a flood; when they are not, the flood
/// is read at full speed. Under contention the flooding process waits on its full pipe, as it would on a slow
/// terminal, and nothing it printed is lost.
/// </summary>
/// <remarks>
/// <para>
/// Not SCHED_IDLE, though it let status calls take the core from a flood at once (measured: 0.94 of idle throughput
/// under a flood against 0.85 at nice +10): its weight of 3 starves capture whenever the machine is busy, so during a
/// build on all cores a dev server's output arrived late and stdout and stderr lines lost their order.
/// </para>
/// <para>
/// Continuations of awaits inside a task started here come back here (TaskScheduler.Current), so an async capture
/// loop stays on these threads for its whole life; anything it starts with Task.Run goes to the pool as usual.
/// </para>
/// </remarks>
public sealed partial class OutputScheduler : TaskScheduler
{
    private const int PriorityProcess = 0; // PRIO_PROCESS; for setpriority on Linux, a thread id names that one thread

    [ThreadStatic]
    private static OutputScheduler? t_owner;

    private readonly BlockingCollection<Task> _queue = [];
    private readonly int _threads;
    private readonly int _niceness;
    private int _started;
    private int _appliedNiceness;

    /// <param name="threads">Capture threads: one flood keeps one busy, so more than one keeps the others' output flowing.</param>
    /// <param name="niceness">Added to the node's nice value for these threads (0..19).</param>
    public OutputScheduler(int threads, int niceness)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        ArgumentOutOfRangeException.ThrowIfNegative(niceness);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(niceness, 19);
        _threads = threads;
        _niceness = niceness;
    }

    /// <summary>The node's capture threads: as many as cores (at least 2), nice +10.</summary>
    public static OutputScheduler Shared { get; } = new(Math.Max(2, Environment.ProcessorCount), niceness: 10);

    /// <summary>How much nicer than the node the threads run: the requested amount, or 0 where the OS refused.</summary>
    public int Niceness => Volatile.Read(ref _appliedNiceness);

    public override int MaximumConcurrencyLevel => _threads;

    /// <summary>Capture work waiting for a thread: above zero, output is read more slowly than it is printed.</summary>
    public int Backlog => _queue.Count;

    /// <summary>Runs <paramref name="loop"/> on these threads; its awaits resume here.</summary>
    public Task Run(Func<Task> loop) =>
        Task.Factory.StartNew(loop, CancellationToken.None, TaskCreationOptions.DenyChildAttach, this).Unwrap();

    protected override void QueueTask(Task task)
    {
        if (Interlocked.Exchange(ref _started, 1) == 0)
        {
            StartThreads();
        }

        _queue.Add(task);
    }

    protected override bool TryExecuteTaskInline(Task task, bool taskWasPreviouslyQueued) =>
        ReferenceEquals(t_owner, this) && TryExecuteTask(task);

    protected override IEnumerable<Task> GetScheduledTasks() => _queue.ToArray();

    private void StartThreads()
    {
        for (var i = 0; i < _threads; i++)
        {
            new Thread(Work) { IsBackground = true, Name = $"brummer output {i + 1}" }.Start();
        }
    }

    private void Work()
    {
        t_owner = this;
        Lower();
        foreach (var task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }

    private void Lower()
    {
        if (_niceness == 0 || !OperatingSystem.IsLinux())
        {
            return;
        }

        try
        {
            // Relative to the node's own nice value (a node started with `nice` keeps the same distance). A new
            // thread starts at its creator's value; getpriority(PRIO_PROCESS, 0) reads the calling thread's.
            var own = GetPriority(PriorityProcess, 0);
            if (SetPriority(PriorityProcess, GetTid(), Math.Min(19, own + _niceness)) == 0)
            {
                Volatile.Write(ref _appliedNiceness, Math.Min(19, own + _niceness) - own);
            }
        }
        catch (EntryPointNotFoundException)
        {
            // A libc without gettid: the threads run at the node's priority, still off the thread pool.
        }
    }

    [LibraryImport("libc", EntryPoint = "setpriority", SetLastError = true)]
    private static partial int SetPriority(int which, int who, int priority);

    [LibraryImport("libc", EntryPoint = "getpriority", SetLastError = true)]
    private static partial int GetPriority(int which, int who);

    [LibraryImport("libc", EntryPoint = "gettid")]
    private static partial int GetTid();
}
