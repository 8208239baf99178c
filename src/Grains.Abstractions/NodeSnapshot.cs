using System.Collections.Immutable;

namespace Brummer.Grains.Abstractions;

/// <summary>
/// Everything a node publishes about itself at one version: its scripts and the processes it has run.
/// Gateways replace their view of a node with a newer snapshot; an older one is ignored.
/// </summary>
[GenerateSerializer, Immutable, Alias("brummer.node-snapshot")]
public sealed record NodeSnapshot(
    [property: Id(0)] string Node,
    [property: Id(1)] string Address,
    [property: Id(2)] long Version,
    [property: Id(3)] DateTimeOffset AsOf,
    [property: Id(4)] ImmutableArray<ScriptInfo> Scripts,
    [property: Id(5)] ImmutableArray<ProcessInfo> Processes);
