using System.Collections.Immutable;
using Brummer.Grains.Abstractions;

namespace Brummer.Grains.Processes;

/// <summary>
/// The node's record of who did what to its processes (run, stop, restart, reload): the last <see cref="Capacity"/>
/// control actions, oldest first. Kept by the node, so it survives any gateway.
/// </summary>
public sealed class NodeAudit(TimeProvider time)
{
    public const int Capacity = 1_000;

    private readonly Lock _gate = new();
    private readonly Queue<AuditEntry> _entries = new();

    public DateTimeOffset Now => time.GetUtcNow();

    public void Record(AuditEntry entry)
    {
        ArgumentNullException.ThrowIfNull(entry);
        lock (_gate)
        {
            if (_entries.Count == Capacity)
            {
                _entries.Dequeue();
            }

            _entries.Enqueue(entry);
        }
    }

    /// <summary>The newest <paramref name="limit"/> entries, newest first.</summary>
    public ImmutableArray<AuditEntry> Newest(int limit)
    {
        lock (_gate)
        {
            return [.. _entries.Reverse().Take(limit)];
        }
    }
}
