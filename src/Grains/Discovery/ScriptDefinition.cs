using System.Collections.Immutable;

namespace Brummer.Grains.Discovery;

/// <summary>A runnable process of this node (a package.json script or a brummer.yaml process) and exactly how to start it.</summary>
/// <param name="Command">What it runs as written, e.g. <c>node server.js</c>.</param>
/// <param name="Executable">The program to start (the package manager, or <c>/bin/sh</c>), resolved on PATH at run time.</param>
/// <param name="Arguments">Its arguments, e.g. <c>run web</c> or <c>-c "node server.js"</c>.</param>
/// <param name="Source">Where it came from, shown to users, e.g. <c>package.json (npm)</c> or <c>brummer.yaml</c>.</param>
public sealed record ScriptDefinition(
    string Name,
    string Command,
    string Executable,
    ImmutableArray<string> Arguments,
    string WorkingDirectory,
    string Source)
{
    /// <summary>Set for the process on top of the node's own environment, already expanded.</summary>
    public ImmutableSortedDictionary<string, string> Environment { get; init; } = ImmutableSortedDictionary<string, string>.Empty.WithComparers(StringComparer.Ordinal);

    /// <summary>What must hold before it starts; each on this node or another.</summary>
    public ImmutableArray<DependencyDefinition> DependsOn { get; init; } = [];

    /// <summary>Decides when it is ready (its health); null: ready as soon as it runs.</summary>
    public ProbeDefinition? Readiness { get; init; }

    /// <summary>Decides when a running process is unhealthy and, if its policy allows, restarted.</summary>
    public ProbeDefinition? Liveness { get; init; }

    public RestartPolicy Availability { get; init; } = RestartPolicy.Never;

    /// <summary>How it is asked to stop; null: SIGTERM and the node's stop timeout.</summary>
    public ShutdownPolicy? Shutdown { get; init; }

    /// <summary>Started when its node starts (brummer.yaml processes by default); package.json scripts start on request.</summary>
    public bool Autostart { get; init; }

    // Reload compares the old definition with the new one to decide what to restart: compare contents, not array references.
    public bool Equals(ScriptDefinition? other) =>
        other is not null &&
        Name == other.Name &&
        Command == other.Command &&
        Executable == other.Executable &&
        Arguments.SequenceEqual(other.Arguments) &&
        WorkingDirectory == other.WorkingDirectory &&
        Source == other.Source &&
        Environment.SequenceEqual(other.Environment) &&
        DependsOn.SequenceEqual(other.DependsOn) &&
        Equals(Readiness, other.Readiness) &&
        Equals(Liveness, other.Liveness) &&
        Availability == other.Availability &&
        Shutdown == other.Shutdown &&
        Autostart == other.Autostart;

    public override int GetHashCode() => HashCode.Combine(Name, Command, WorkingDirectory);
}

/// <summary>When a dependency counts as met (docker compose's <c>depends_on</c> conditions).</summary>
public enum DependencyCondition
{
    /// <summary>It has started (running, or already exited after running).</summary>
    ProcessStarted,
    /// <summary>It is running and ready (its readiness probe passed, or it has none).</summary>
    ProcessHealthy,
    /// <summary>It exited with code 0.</summary>
    ProcessCompletedSuccessfully,
}

/// <param name="Node">The node that runs it; null: this node.</param>
public sealed record DependencyDefinition(string? Node, string Name, DependencyCondition Condition)
{
    public string Target => Node is null ? Name : $"{Node}/{Name}";

    public override string ToString() => $"{Target} ({Condition.ToYamlName()})";
}

public static class DependencyConditionNames
{
    public static string ToYamlName(this DependencyCondition condition) => condition switch
    {
        DependencyCondition.ProcessStarted => "process_started",
        DependencyCondition.ProcessHealthy => "process_healthy",
        DependencyCondition.ProcessCompletedSuccessfully => "process_completed_successfully",
        _ => throw new ArgumentOutOfRangeException(nameof(condition), condition, null),
    };
}

/// <summary>A readiness or liveness probe: what to check, and how often and how many times before the verdict changes.</summary>
public sealed record ProbeDefinition(ProbeCheck Check)
{
    public TimeSpan InitialDelay { get; init; } = TimeSpan.Zero;

    public TimeSpan Period { get; init; } = TimeSpan.FromSeconds(2);

    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>Consecutive passes that make it ready again after failing.</summary>
    public int SuccessThreshold { get; init; } = 1;

    /// <summary>Consecutive failures that make it unhealthy.</summary>
    public int FailureThreshold { get; init; } = 3;
}

/// <summary>One kind of check a probe makes.</summary>
public abstract record ProbeCheck;

/// <summary>Passes when a GET answers <paramref name="ExpectedStatus"/> (null: any 2xx or 3xx).</summary>
public sealed record HttpGetCheck(Uri Url, int? ExpectedStatus) : ProbeCheck;

/// <summary>Passes when a TCP connection to the port opens.</summary>
public sealed record TcpCheck(string Host, int Port) : ProbeCheck;

/// <summary>Passes when the command (run by <c>/bin/sh -c</c> in the process's directory and environment) exits 0.</summary>
public sealed record ExecCheck(string Command) : ProbeCheck;

/// <summary>Passes once the process has printed a line matching the regular expression (this run).</summary>
public sealed record LogCheck(string Pattern) : ProbeCheck;

public enum RestartMode
{
    No,
    OnFailure,
    Always,
}

/// <summary>
/// When and how fast a process that ended is started again: exponential backoff from <paramref name="Backoff"/> to
/// <paramref name="MaxBackoff"/>, reset once a run has stayed up <paramref name="StableAfter"/>; after
/// <paramref name="MaxRestarts"/> restarts in a row (0: no limit) it stays failed.
/// </summary>
public sealed record RestartPolicy(RestartMode Mode, TimeSpan Backoff, TimeSpan MaxBackoff, int MaxRestarts, TimeSpan StableAfter)
{
    public static RestartPolicy Never { get; } = new(RestartMode.No, TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(30), 0, TimeSpan.FromSeconds(30));
}

/// <param name="Signal">The signal number sent to the process group first (15: SIGTERM).</param>
/// <param name="Timeout">How long it gets before SIGKILL; null: the node's stop timeout.</param>
public sealed record ShutdownPolicy(int Signal, TimeSpan? Timeout);

public static class ScriptDefinitionExtensions
{
    /// <summary>What the node publishes about a definition.</summary>
    public static Abstractions.ScriptInfo ToInfo(this ScriptDefinition script, string node)
    {
        ArgumentNullException.ThrowIfNull(script);
        return new(node, script.Name, script.Command, script.Source);
    }
}
