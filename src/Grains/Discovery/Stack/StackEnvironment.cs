using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>
/// The environment a stack process gets on top of its node's, built in layers where a later one wins: the top-level
/// <c>env_file</c>s, the top-level <c>environment</c>, the process's <c>env_file</c>s, the process's <c>environment</c>.
/// Each value is expanded (<see cref="VariableExpansion"/>) as it is added, against the node's own environment and
/// everything added before it, so a layer can build on the ones beneath.
/// </summary>
internal sealed class StackEnvironment
{
    private readonly Dictionary<string, string> _scope;
    private readonly Dictionary<string, string> _set;

    public StackEnvironment(IReadOnlyDictionary<string, string> nodeEnvironment)
        : this(new Dictionary<string, string>(nodeEnvironment, StringComparer.Ordinal), new Dictionary<string, string>(StringComparer.Ordinal))
    {
    }

    private StackEnvironment(Dictionary<string, string> scope, Dictionary<string, string> set)
    {
        _scope = scope;
        _set = set;
    }

    /// <summary>What the stack sets, expanded: what the process gets on top of the node's environment.</summary>
    public ImmutableSortedDictionary<string, string> Set => _set.ToImmutableSortedDictionary(StringComparer.Ordinal);

    /// <summary>A copy to layer one process's settings on, leaving the file's shared layers as they are.</summary>
    public StackEnvironment Fork() =>
        new(new Dictionary<string, string>(_scope, StringComparer.Ordinal), new Dictionary<string, string>(_set, StringComparer.Ordinal));

    /// <summary>An <c>env_file</c> value: one path or a list, relative to the stack file's directory; each must exist.</summary>
    public void AddEnvFiles(YamlSource source, YamlNode node, string where, ICollection<string> filesRead)
    {
        var entries = node is YamlSequenceNode list ? list.Children : (IEnumerable<YamlNode>)[node];
        foreach (var entry in entries)
        {
            var name = source.String(entry, where);
            var path = Path.GetFullPath(name, Path.GetDirectoryName(source.Path)!);
            if (!File.Exists(path))
            {
                throw source.Error(entry, $"{where}: '{YamlSource.Shorten(name)}' not found ({path}); paths are relative to {source.FileName}'s directory.");
            }

            foreach (var variable in DotEnvFile.Read(path))
            {
                var value = variable.Value;
                if (variable.Expand && !VariableExpansion.TryExpand(value, Lookup, out value, out var error))
                {
                    throw new ScriptDiscoveryException($"{path}:{variable.Line}: {variable.Key}: {error}.");
                }

                Add(variable.Key, value);
            }

            filesRead.Add(path);
        }
    }

    /// <summary>An <c>environment</c> value: a mapping of NAME: value, or a list of NAME=value.</summary>
    public void AddEnvironment(YamlSource source, YamlNode node, string where)
    {
        switch (node)
        {
            case YamlMappingNode mapping:
                foreach (var (keyNode, valueNode) in mapping.Children)
                {
                    var key = CheckKey(source, keyNode, source.Key(keyNode, where), where);
                    var raw = valueNode is YamlScalarNode
                        ? source.String(valueNode, $"{where}.{key}", allowEmpty: true)
                        : throw source.Error(valueNode, $"{where}.{key} must be a string, number or boolean; got {YamlSource.Describe(valueNode)}.");
                    Add(key, Expand(source, valueNode, raw, $"{where}.{key}"));
                }

                break;
            case YamlSequenceNode list:
                foreach (var entry in list.Children)
                {
                    var text = source.String(entry, $"{where} entry");
                    var equals = text.IndexOf('=', StringComparison.Ordinal);
                    if (equals < 0)
                    {
                        // Not quoted back: the entry may be a secret missing its name.
                        throw source.Error(entry, $"{where} entries must be NAME=value; this one has no '='.");
                    }

                    var key = CheckKey(source, entry, text[..equals], where);
                    Add(key, Expand(source, entry, text[(equals + 1)..], $"{where}.{key}"));
                }

                break;
            default:
                if (!YamlSource.IsNull(node))
                {
                    throw source.Error(node, $"{where} must be a mapping (NAME: value) or a list of NAME=value; got {YamlSource.Describe(node)}.");
                }

                break;
        }
    }

    /// <summary>Expands <paramref name="text"/> against everything set so far (for probe addresses and the like).</summary>
    public string Expand(YamlSource source, YamlNode at, string text, string where) =>
        VariableExpansion.TryExpand(text, Lookup, out var value, out var error)
            ? value
            : throw source.Error(at, $"{where}: {error}.");

    private string? Lookup(string name) => _scope.GetValueOrDefault(name);

    private void Add(string key, string value)
    {
        _scope[key] = value;
        _set[key] = value;
    }

    private static string CheckKey(YamlSource source, YamlNode at, string key, string where)
    {
        if (key.Length == 0 || key.Contains('=', StringComparison.Ordinal) || key.Any(char.IsControl))
        {
            throw source.Error(at, $"{where}: variable name '{YamlSource.Shorten(key)}' must not be empty or contain '=' or control characters.");
        }

        return key;
    }
}
