using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>A process of a stack file as read, before its dependencies are resolved for the node that reads the file.</summary>
/// <param name="Placement">The node it runs on; null: every node that reads the file.</param>
/// <param name="Definition">How it runs; its <see cref="ScriptDefinition.DependsOn"/> is still empty.</param>
internal sealed record StackProcess(
    string Name,
    YamlNode NameNode,
    string? Placement,
    ScriptDefinition Definition,
    ImmutableArray<DependencyReference> Dependencies);

/// <summary>One <c>depends_on</c> entry as written: <c>NAME</c> or <c>NODE/NAME</c>.</summary>
internal sealed record DependencyReference(string Text, DependencyCondition Condition, YamlNode At);
