using System.Collections.Frozen;
using System.Collections.Immutable;
using Brummer.Grains.Discovery;
using Brummer.Grains.Status;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Processes;

/// <summary>
/// The supervisors of every script of this node, created once at startup from the <see cref="ScriptCatalog"/>.
/// They outlive grain activations, so a process is never lost track of when its grain is collected.
/// </summary>
public sealed class NodeProcesses
{
    private readonly FrozenDictionary<string, ProcessSupervisor> _supervisors;

    public NodeProcesses(ScriptCatalog catalog, NodeStatusTable table, ProcessOptions options, TimeProvider time, ILoggerFactory loggers, ProcessWatchdog? watchdog = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(loggers);
        Catalog = catalog;
        Table = table;
        var logger = loggers.CreateLogger<ProcessSupervisor>();
        _supervisors = catalog.Scripts
            .ToFrozenDictionary(s => s.Name, s => new ProcessSupervisor(s, table, options, time, logger, watchdog), StringComparer.Ordinal);
    }

    public string Node => Table.Node;

    public ScriptCatalog Catalog { get; }

    public NodeStatusTable Table { get; }

    public ImmutableArray<string> ScriptNames => Catalog.Scripts.Select(s => s.Name).ToImmutableArray();

    /// <summary>Every supervisor of the node, without building anything per call.</summary>
    public IEnumerable<ProcessSupervisor> All => _supervisors.Values;

    public bool TryGet(string script, out ProcessSupervisor supervisor) => _supervisors.TryGetValue(script, out supervisor!);

    /// <summary>Stops every running process of the node, in parallel; returns when none is left.</summary>
    public Task StopAllAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(All.Where(s => s.IsActive).Select(s => s.StopAsync(cancellationToken)));
}
