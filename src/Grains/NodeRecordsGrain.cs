using System.Collections.Immutable;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Placement;
using Brummer.Grains.Processes;
using Orleans.Concurrency;

namespace Brummer.Grains;

/// <summary>Answers from the records the node's supervisors keep; reentrant, since every answer is a snapshot read.</summary>
[NodePinnedPlacement, Reentrant]
public sealed class NodeRecordsGrain(NodeProcesses processes, NodeAudit audit) : Grain, INodeRecordsGrain
{
    public Task<ImmutableArray<AuditEntry>> AuditAsync(int limit) => Task.FromResult(audit.Newest(limit));

    public Task<ImmutableArray<RunRecord>> HistoryAsync(string script) =>
        processes.TryGet(script, out var supervisor)
            ? Task.FromResult(supervisor.History)
            : throw new ArgumentException($"Unknown script '{script}' on node '{processes.Node}'. Scripts: {string.Join(", ", processes.ScriptNames)}.");
}
