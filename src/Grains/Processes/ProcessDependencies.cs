using System.Collections.Immutable;
using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Status;

namespace Brummer.Grains.Processes;

/// <summary>The pushed status of processes on other nodes, as this node last heard it.</summary>
public interface IRemoteProcesses
{
    /// <summary>The latest view of <paramref name="name"/> on <paramref name="node"/>; null with a reason when not known.</summary>
    ProcessInfo? Get(string node, string name, out string? unknownBecause);

    /// <summary>Completes at the next change this node hears of another node.</summary>
    Task NextChange { get; }

    /// <summary>Starts following <paramref name="node"/>'s pushed status (idempotent).</summary>
    void Follow(string node);
}

/// <summary>
/// Decides whether a process's <c>depends_on</c> holds, from this node's status table and other nodes' pushed status
/// (never by asking a grain), and says in words what is still missing.
/// </summary>
public sealed class ProcessDependencies(NodeStatusTable table, IRemoteProcesses? remote = null)
{
    /// <summary>Completes at the next change anywhere a dependency could be.</summary>
    public Task NextChange => remote is null ? table.NextChange : Task.WhenAny(table.NextChange, remote.NextChange);

    /// <summary>Null when every dependency holds; otherwise the first that does not, and why, e.g. <c>db (process_healthy): running, health starting</c>.</summary>
    public string? Unmet(ImmutableArray<DependencyDefinition> dependencies)
    {
        foreach (var dependency in dependencies)
        {
            string? unknown = null;
            var local = dependency.Node is null || dependency.Node == table.Node;
            if (!local)
            {
                remote?.Follow(dependency.Node!);
            }

            var info = local ? table.Get(dependency.Name)
                : remote is null ? null
                : remote.Get(dependency.Node!, dependency.Name, out unknown);
            if (!Holds(dependency.Condition, info))
            {
                return $"{dependency}: {unknown ?? Describe(info)}";
            }
        }

        return null;
    }

    public static bool Holds(DependencyCondition condition, ProcessInfo? info) => info is not null && condition switch
    {
        DependencyCondition.ProcessStarted => info.Status is ProcessStatus.Running or ProcessStatus.Succeeded,
        DependencyCondition.ProcessHealthy => info.IsReady(),
        DependencyCondition.ProcessCompletedSuccessfully => info.Status == ProcessStatus.Succeeded,
        _ => false,
    };

    private static string Describe(ProcessInfo? info) => info switch
    {
        null => "not started",
        { Status: ProcessStatus.Running, Health: not ProcessHealth.None } => $"running, health {info.Health.ToWireName()}",
        { Status: ProcessStatus.Failed or ProcessStatus.Stopped or ProcessStatus.Succeeded, ExitCode: { } code } => $"{info.Status.ToWireName()} (exit {code})",
        { Status: ProcessStatus.Pending, WaitingFor: { } waiting } => $"pending, waiting for {waiting}",
        { Status: ProcessStatus.Lost } => "lost with its node",
        _ => info.Status.ToWireName(),
    };
}
