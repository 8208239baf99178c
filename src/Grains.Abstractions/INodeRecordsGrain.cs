using System.Collections.Immutable;

namespace Brummer.Grains.Abstractions;

/// <summary>
/// What a node remembers of what happened to its processes: each one's last runs, and who did what (the last 1,000 actions). Keyed by node name and living on
/// that node, so the records outlive any gateway.
/// </summary>
[Alias("brummer.node-records")]
public interface INodeRecordsGrain : IGrainWithStringKey
{
    /// <summary>The last runs of <paramref name="script"/> on this node, oldest first (at most 20).</summary>
    [Alias("history")]
    Task<ImmutableArray<RunRecord>> HistoryAsync(string script);

    /// <summary>The newest <paramref name="limit"/> control actions taken on this node (run, stop, restart, reload), newest first.</summary>
    [Alias("audit")]
    Task<ImmutableArray<AuditEntry>> AuditAsync(int limit);
}
