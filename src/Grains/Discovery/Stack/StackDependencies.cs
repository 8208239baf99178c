using System.Collections.Immutable;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>
/// Resolves <c>depends_on</c> for the node reading the file, and refuses unknown targets and cycles anywhere in the file.
/// <list type="bullet">
/// <item><c>NAME</c> is a process of this file (or a package.json script beside it). It runs where its placement says;
/// unplaced, on the same node as the dependent. A dependency on another node becomes <c>NODE/NAME</c>.</item>
/// <item><c>NODE/NAME</c> on a node this file places processes on (or the reading node) must name a process that runs
/// there. A node the file places nothing on is described elsewhere (its own directory): the name is taken on trust.</item>
/// </list>
/// </summary>
internal sealed class StackDependencies
{
    private readonly YamlSource _source;
    private readonly string _reader;
    private readonly Dictionary<string, StackProcess> _processes;
    private readonly ImmutableSortedSet<string> _scripts;
    private readonly HashSet<string> _describedNodes;

    /// <param name="scripts">The package.json scripts beside the file that no process of it shadows.</param>
    public StackDependencies(YamlSource source, string reader, IReadOnlyList<StackProcess> processes, IEnumerable<string> scripts)
    {
        _source = source;
        _reader = reader;
        _processes = processes.ToDictionary(p => p.Name, StringComparer.Ordinal);
        _scripts = [.. scripts];
        _describedNodes = [reader, .. processes.Select(p => p.Placement).OfType<string>()];
    }

    /// <summary>The dependencies of <paramref name="process"/> as the reading node sees them (checked).</summary>
    public ImmutableArray<DependencyDefinition> Resolve(StackProcess process)
    {
        var resolved = ImmutableArray.CreateBuilder<DependencyDefinition>(process.Dependencies.Length);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var reference in process.Dependencies)
        {
            var (node, name) = Target(process, reference);
            var dependency = new DependencyDefinition(node, name, reference.Condition);
            if (!seen.Add(dependency.Target))
            {
                throw _source.Error(reference.At, $"processes.{process.Name}.depends_on names {dependency.Target} twice; give it once.");
            }

            resolved.Add(dependency);
        }

        return resolved.MoveToImmutable();
    }

    /// <summary>Refuses the first cycle, in file order, with its path (<c>a -> b -> a</c>).</summary>
    public void CheckCycles(IReadOnlyList<StackProcess> processes)
    {
        // Names are unique in a file, so a cycle of names is a cycle of processes wherever they are placed.
        var state = new Dictionary<string, bool>(StringComparer.Ordinal); // false: on the path; true: done
        var path = new List<string>();
        foreach (var process in processes)
        {
            Visit(process, state, path);
        }
    }

    private void Visit(StackProcess process, Dictionary<string, bool> state, List<string> path)
    {
        if (state.ContainsKey(process.Name))
        {
            return;
        }

        state[process.Name] = false;
        path.Add(process.Name);
        foreach (var reference in process.Dependencies)
        {
            var (_, name) = Target(process, reference);
            if (!_processes.TryGetValue(name, out var next) || (IsExternal(reference) && !_describedNodes.Contains(NodeOf(reference)!)))
            {
                continue;
            }

            if (state.TryGetValue(name, out var done) && !done)
            {
                var cycle = path.Skip(path.IndexOf(name)).Append(name);
                throw _source.Error(reference.At, $"processes.{process.Name}.depends_on: dependency cycle {string.Join(" -> ", cycle)}; a process cannot wait for itself, directly or through others.");
            }

            Visit(next, state, path);
        }

        path.RemoveAt(path.Count - 1);
        state[process.Name] = true;
    }

    /// <summary>Where the dependency runs (null: the dependent's node) and its name.</summary>
    private (string? Node, string Name) Target(StackProcess dependent, DependencyReference reference)
    {
        var where = $"processes.{dependent.Name}.depends_on";
        var home = dependent.Placement ?? _reader;
        if (!IsExternal(reference))
        {
            if (_processes.TryGetValue(reference.Text, out var local))
            {
                return (local.Placement is null || local.Placement == home ? null : local.Placement, local.Name);
            }

            if (_scripts.Contains(reference.Text))
            {
                return (null, reference.Text);
            }

            var hint = Closest.Hint(reference.Text, _processes.Keys.Concat(_scripts));
            throw _source.Error(reference.At, $"{where}: unknown process '{YamlSource.Shorten(reference.Text)}'{hint}; {Known()}; write NODE/NAME for a process of another node.");
        }

        var node = NodeOf(reference)!;
        var name = reference.Text[(node.Length + 1)..];
        if (!StackNames.IsValid(node) || !StackNames.IsValid(name))
        {
            throw _source.Error(reference.At, $"{where}: '{YamlSource.Shorten(reference.Text)}' must be NAME or NODE/NAME.");
        }

        var target = node == home ? null : node;
        if (!_describedNodes.Contains(node))
        {
            return (target, name);
        }

        if (_processes.TryGetValue(name, out var process))
        {
            if (process.Placement is not null && process.Placement != node)
            {
                throw _source.Error(reference.At, $"{where}: process '{name}' runs on node '{process.Placement}', not '{node}'; write {process.Placement}/{name}.");
            }

            return (target, name);
        }

        if (_scripts.Contains(name))
        {
            return (target, name);
        }

        var there = _processes.Values.Where(p => p.Placement is null || p.Placement == node).Select(p => p.Name).Concat(_scripts).Order(StringComparer.Ordinal).ToList();
        var list = there.Count == 0 ? "none" : string.Join(", ", there);
        throw _source.Error(reference.At, $"{where}: node '{node}' has no process '{YamlSource.Shorten(name)}'{Closest.Hint(name, there, $"{node}/")}; processes that run on {node}: {list}.");
    }

    /// <summary>Whether the reference is NODE/NAME: it is not a local name (package.json names may hold a '/') and has a slash.</summary>
    private bool IsExternal(DependencyReference reference) =>
        !_processes.ContainsKey(reference.Text) && !_scripts.Contains(reference.Text) && reference.Text.Contains('/', StringComparison.Ordinal);

    private static string? NodeOf(DependencyReference reference)
    {
        var slash = reference.Text.IndexOf('/', StringComparison.Ordinal);
        return slash < 0 ? null : reference.Text[..slash];
    }

    private string Known()
    {
        var processes = string.Join(", ", _processes.Keys.Order(StringComparer.Ordinal));
        var scripts = _scripts.Count == 0 ? string.Empty : $"; package.json scripts: {string.Join(", ", _scripts)}";
        return $"processes: {processes}{scripts}";
    }
}
