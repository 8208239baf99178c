using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace Brummer.Grains.Logs;

/// <summary>
/// Where output capture runs: a few dedicated threads in Linux's <c>SCHED_IDLE</c> class. On the thread pool, a process
/// printing flat out would hold a pool thread (a pipe read completes at once while data waits, so the loop never
/// yields) and compete on equal terms with status and control requests. In <c>SCHED_IDLE</c> a capture thread runs
/// on any core nothing else wants, so a lone flood is read at full speed, but any other thread that wakes up (a
/// request, a grain turn, the client of an agent on the same machine) takes the core from it at once, where a nice
/// value would let it finish its time slice first. When the machine is busy the flooding process waits on its full
/// pipe, as it would on a slow terminal, and nothing it printed is lost; the kernel still gives these threads a small
/// share (weight 3 against 1,024 for a normal thread), so ordinary output keeps flowing under a full build.
/// </summary>
/// <remarks>
/// Continuations of awaits inside a task started here come back here (TaskScheduler.Current), so an async capture
/// loop stays on these threads for its whole life; anything it starts with Task.Run goes to the pool as usual.
/// </remarks>
public sealed partial class OutputScheduler : TaskScheduler
{
    private const int SchedIdle = 5; // SCHED_IDLE, linux/sched.h

    [ThreadStatic]
    private static OutputScheduler? t_owner;

    private readonly BlockingCollection<Task> _queue = [];
    private readonly int _threads;
    private readonly bool _idlePriority;
    private int _started;
    private int _lowered;

    /// <param name="threads">Capture threads: one flood keeps one busy, so more than one keeps the others' output flowing.</param>
    /// <param name="idlePriority">Run them in <c>SCHED_IDLE</c> (Linux), below every normal thread.</param>
    public OutputScheduler(int threads, bool idlePriority)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        _threads = threads;
        _idlePriority = idlePriority;
    }

    /// <summary>The node's capture threads: as many as cores (at least 2), in <c>SCHED_IDLE</c>.</summary>
    public static OutputScheduler Shared { get; } = new(Math.Max(2, Environment.ProcessorCount), idlePriority: true);

    /// <summary>True once the threads run in <c>SCHED_IDLE</c>; false where the OS refused it (then they run like the pool's).</summary>
    public bool AtIdlePriority => Volatile.Read(ref _lowered) == 1;

    public override int MaximumConcurrencyLevel => _threads;

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
        if (_idlePriority && OperatingSystem.IsLinux())
        {
            var priority = 0; // the only priority SCHED_IDLE takes
            if (SetScheduler(0, SchedIdle, ref priority) == 0) // 0: the calling thread
            {
                Volatile.Write(ref _lowered, 1);
            }
        }

        foreach (var task in _queue.GetConsumingEnumerable())
        {
            TryExecuteTask(task);
        }
    }

    [LibraryImport("libc", EntryPoint = "sched_setscheduler", SetLastError = true)]
    private static partial int SetScheduler(int pid, int policy, ref int priority);
}
