namespace Brummer.Grains.Status;

/// <summary>
/// Wakes one waiter after any number of changes, coalescing bursts into a single wake-up.
/// Signalling an already-signalled instance costs one read and allocates nothing.
/// </summary>
internal sealed class ChangeSignal
{
    private int _pending;
    private TaskCompletionSource? _waiter;

    /// <summary>Callers order their change before this call (a full fence), as <see cref="WaitAsync"/> orders its reset before reading.</summary>
    public void Set()
    {
        // Already pending: the waiter has yet to reset it, and reads the change after it does. Reading first keeps a
        // burst of changes from writing the shared line each time.
        if (Volatile.Read(ref _pending) == 0 && Interlocked.Exchange(ref _pending, 1) == 0)
        {
            Interlocked.Exchange(ref _waiter, null)?.TrySetResult();
        }
    }

    /// <summary>Completes when a change happened since the previous wait returned.</summary>
    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        while (Interlocked.Exchange(ref _pending, 0) == 0)
        {
            var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            Volatile.Write(ref _waiter, waiter);
            if (Volatile.Read(ref _pending) == 1)
            {
                continue; // A change raced with publishing the waiter: take it now.
            }

            await waiter.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
    }
}
