using System.Collections.Frozen;
using System.Collections.Immutable;

namespace Brummer.Grains.Discovery;

/// <summary>The scripts a node may run. Only these are runnable: nothing else is ever executed.</summary>
public sealed class ScriptCatalog
{
    private readonly FrozenDictionary<string, ScriptDefinition> _byName;

    /// <param name="sources">The files the definitions were read from (full paths), for reload to watch.</param>
    public ScriptCatalog(string directory, IEnumerable<ScriptDefinition> scripts, IEnumerable<string>? sources = null)
    {
        ArgumentNullException.ThrowIfNull(scripts);
        Directory = directory;
        Scripts = [.. scripts.OrderBy(s => s.Name, StringComparer.Ordinal)];
        _byName = Scripts.ToFrozenDictionary(s => s.Name, StringComparer.Ordinal);
        Sources = [.. sources ?? []];
    }

    public string Directory { get; }

    /// <summary>The files read to make this catalog (package.json, brummer.yaml, the env files it names), full paths.</summary>
    public ImmutableArray<string> Sources { get; }

    /// <summary>All scripts, ordered by name.</summary>
    public ImmutableArray<ScriptDefinition> Scripts { get; }

    public bool TryGet(string name, out ScriptDefinition script) =>
        _byName.TryGetValue(name, out script!);
}
