using System.Collections.Frozen;
using System.Collections.Immutable;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Status;
using Brummer.Grains.Telemetry;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Processes;

/// <summary>
/// The supervisors of every process of this node, created from the <see cref="ScriptCatalog"/> and replaced as a set
/// when the definitions are reloaded (<see cref="ApplyAsync"/>). They outlive grain activations, so a process is never
/// lost track of when its grain is collected.
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Design", "CA1001:Types that own disposable fields should be disposable", Justification = "Lives as long as the node; SemaphoreSlim holds no OS handle unless AvailableWaitHandle is used.")]
public sealed class NodeProcesses
{
    private readonly ProcessOptions _options;
    private readonly TimeProvider _time;
    private readonly ILogger<ProcessSupervisor> _logger;
    private readonly ProcessWatchdog? _watchdog;
    private readonly NodeTelemetry? _telemetry;
    private readonly SemaphoreSlim _defining = new(1, 1);
    private FrozenDictionary<string, ProcessSupervisor> _supervisors;
    private ScriptCatalog _catalog;

    public NodeProcesses(
        ScriptCatalog catalog,
        NodeStatusTable table,
        ProcessOptions options,
        TimeProvider time,
        ILoggerFactory loggers,
        ProcessWatchdog? watchdog = null,
        IRemoteProcesses? remote = null,
        NodeTelemetry? telemetry = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        ArgumentNullException.ThrowIfNull(loggers);
        _catalog = catalog;
        Table = table;
        _options = options;
        _time = time;
        _watchdog = watchdog;
        _telemetry = telemetry;
        _logger = loggers.CreateLogger<ProcessSupervisor>();
        Dependencies = new ProcessDependencies(table, remote);
        _supervisors = catalog.Scripts.ToFrozenDictionary(s => s.Name, New, StringComparer.Ordinal);
        telemetry?.Metrics?.Observe(this);
    }

    public string Node => Table.Node;

    public ScriptCatalog Catalog => Volatile.Read(ref _catalog);

    public NodeStatusTable Table { get; }

    public ProcessDependencies Dependencies { get; }

    public ImmutableArray<string> ScriptNames => Catalog.Scripts.Select(s => s.Name).ToImmutableArray();

    /// <summary>Every supervisor of the node, without building anything per call.</summary>
    public IEnumerable<ProcessSupervisor> All => Volatile.Read(ref _supervisors).Values;

    public bool TryGet(string script, out ProcessSupervisor supervisor) => Volatile.Read(ref _supervisors).TryGetValue(script, out supervisor!);

    /// <summary>
    /// Runs a process on request: its dependencies on this node are asked to start first (each waits for its own), then
    /// the process starts, or goes pending until its dependencies (here or on other nodes) hold.
    /// </summary>
    public async Task<RunResult> RunAsync(string name, ControlDeadline deadline, CancellationToken cancellationToken = default)
    {
        if (!TryGet(name, out var supervisor))
        {
            throw new ArgumentException($"'{name}' is not a script of node '{Node}'. Scripts: {string.Join(", ", ScriptNames)}.", nameof(name));
        }

        await StartDependenciesAsync(supervisor.Definition, [name], cancellationToken).ConfigureAwait(false);
        return await supervisor.StartAsync(deadline, cancellationToken).ConfigureAwait(false);
    }

    private async Task StartDependenciesAsync(ScriptDefinition script, HashSet<string> visited, CancellationToken cancellationToken)
    {
        foreach (var dependency in script.DependsOn)
        {
            if ((dependency.Node is null || dependency.Node == Node) && visited.Add(dependency.Name) && TryGet(dependency.Name, out var needed))
            {
                await StartDependenciesAsync(needed.Definition, visited, cancellationToken).ConfigureAwait(false);
                if (!needed.IsActive && !DependencyDone(dependency, needed))
                {
                    await needed.StartAsync(ControlDeadline.None, cancellationToken).ConfigureAwait(false);
                }
            }
        }
    }

    /// <summary>A one-shot dependency that already completed is not run again for each dependent.</summary>
    private static bool DependencyDone(DependencyDefinition dependency, ProcessSupervisor needed) =>
        ProcessDependencies.Holds(dependency.Condition, needed.Current);

    /// <summary>Starts every process defined to start with its node (in dependency order: each waits for what it needs).</summary>
    public Task StartAutostartAsync(CancellationToken cancellationToken = default) =>
        // Concurrently: each spawn takes tens of ms, and a process that needs another waits for it (pending) anyway.
        Task.WhenAll(All.Where(s => s.Definition.Autostart && !s.IsActive)
            .Select(s => Task.Run(() => RunAsync(s.Name, ControlDeadline.None, cancellationToken), cancellationToken)));

    /// <summary>
    /// Until cancelled: at every status change here or on a followed node, tells every process a dependency may have
    /// changed (pending ones whose dependencies now hold start; running ones update their note). Nothing polls.
    /// </summary>
    public async Task FollowDependenciesAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            var change = Dependencies.NextChange;
            foreach (var supervisor in All)
            {
                supervisor.OnDependenciesChanged();
            }

            try
            {
                await change.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Replaces the definitions (a reload): new processes appear (and start if they autostart), removed ones are
    /// stopped and dropped, changed running ones are restarted with their new definition (unless claimed: those keep
    /// running and take it at their next start); unchanged ones are untouched.
    /// </summary>
    public async Task<DefinitionChanges> ApplyAsync(ScriptCatalog next, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(next);
        await _defining.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var current = Volatile.Read(ref _supervisors);
            var added = next.Scripts.Where(s => !current.ContainsKey(s.Name)).ToList();
            var removed = current.Values.Where(s => !next.TryGet(s.Name, out _)).ToList();
            var changed = next.Scripts.Where(s => current.TryGetValue(s.Name, out var old) && !old.Definition.Equals(s)).ToList();

            if (added.Count == 0 && removed.Count == 0 && changed.Count == 0)
            {
                // Nothing to do; but a file fixed after an error clears the error it published.
                if (Table.Snapshot.DefinitionsError is not null)
                {
                    Table.Define(Catalog.Scripts.Select(s => s.ToInfo(Node)));
                }

                Volatile.Write(ref _catalog, next); // the same processes; its sources may differ (an env file named anew)
                return new DefinitionChanges([], [], [], [], []);
            }

            // Removed processes stop while still in the table, so their final state is published; then they leave it.
            await Task.WhenAll(removed.Select(s => s.StopAsync(cancellationToken))).ConfigureAwait(false);
            Table.Define(next.Scripts.Select(s => s.ToInfo(Node)));
            var supervisors = next.Scripts.ToDictionary(
                s => s.Name,
                s => current.TryGetValue(s.Name, out var kept) ? kept : New(s),
                StringComparer.Ordinal);
            Volatile.Write(ref _supervisors, supervisors.ToFrozenDictionary(StringComparer.Ordinal));
            Volatile.Write(ref _catalog, next);

            var restarted = new List<string>();
            var held = new List<string>();
            foreach (var script in changed)
            {
                // A reload never restarts a process someone claimed: whoever edited or pulled the file is not the one
                // keeping hands off it. It runs on and takes its new definition at its next start.
                var supervisor = supervisors[script.Name];
                var claimed = supervisor.Claim is not null && supervisor.IsActive;
                if (await supervisor.RedefineAsync(script, restart: !claimed, cancellationToken).ConfigureAwait(false))
                {
                    restarted.Add(script.Name);
                }
                else if (claimed)
                {
                    held.Add(script.Name);
                }
            }

            foreach (var script in added.Where(s => s.Autostart))
            {
                await RunAsync(script.Name, ControlDeadline.None, cancellationToken).ConfigureAwait(false);
            }

            return new DefinitionChanges(
                [.. added.Select(s => s.Name)],
                [.. removed.Select(s => s.Name)],
                [.. changed.Select(s => s.Name)],
                [.. restarted],
                [.. held]);
        }
        finally
        {
            _defining.Release();
        }
    }

    /// <summary>Records that the definition files could not be read: the previous definitions stay, the error is published.</summary>
    public void Refused(string error) => Table.Define(Catalog.Scripts.Select(s => s.ToInfo(Node)), error);

    /// <summary>Stops every running or waiting process of the node, in parallel; returns when none is left.</summary>
    public Task StopAllAsync(CancellationToken cancellationToken = default) =>
        Task.WhenAll(All.Where(s => s.IsActive).Select(s => s.StopAsync(cancellationToken)));

    private ProcessSupervisor New(ScriptDefinition script) => new(script, Table, _options, _time, _logger, _watchdog, Dependencies, _telemetry);
}

/// <summary>What a reload changed, by process name.</summary>
public sealed record DefinitionChanges(
    ImmutableArray<string> Added,
    ImmutableArray<string> Removed,
    ImmutableArray<string> Changed,
    ImmutableArray<string> Restarted,
    ImmutableArray<string> Held);
