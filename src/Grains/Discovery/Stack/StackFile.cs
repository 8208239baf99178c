using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>
/// A directory's brummer.yaml (or brummer.yml): the whole file is checked, whichever node reads it, and the processes
/// that run on the reading node are kept (those placed on it with <c>node</c>, and those placed nowhere).
/// </summary>
internal sealed class StackFile
{
    public const string FileName = "brummer.yaml";
    public const string ShortFileName = "brummer.yml";

    private static readonly string[] TopKeys = ["version", "environment", "env_file", "processes"];

    private StackFile(string path, ImmutableArray<ScriptDefinition> processes, ImmutableHashSet<string> names, ImmutableArray<string> sources)
    {
        Path = path;
        Processes = processes;
        Names = names;
        Sources = sources;
    }

    public string Path { get; }

    /// <summary>The processes the reading node runs, dependencies resolved, ordered by name.</summary>
    public ImmutableArray<ScriptDefinition> Processes { get; }

    /// <summary>Every process name in the file, wherever it runs: a package.json script of one of these names is shadowed.</summary>
    public ImmutableHashSet<string> Names { get; }

    /// <summary>The file and the env files it read (full paths).</summary>
    public ImmutableArray<string> Sources { get; }

    /// <summary>The stack file of <paramref name="directory"/>, or null if there is none; both spellings at once is an error.</summary>
    public static string? Find(string directory)
    {
        var yaml = System.IO.Path.Combine(directory, FileName);
        var yml = System.IO.Path.Combine(directory, ShortFileName);
        return (File.Exists(yaml), File.Exists(yml)) switch
        {
            (true, true) => throw new ScriptDiscoveryException($"{directory}: both {FileName} and {ShortFileName} exist; keep one."),
            (true, false) => yaml,
            (false, true) => yml,
            _ => null,
        };
    }

    /// <param name="node">The reading node's name.</param>
    /// <param name="packageScripts">The package.json scripts beside the file (for <c>script:</c> and dependencies), if any.</param>
    /// <param name="nodeEnvironment">The reading node's own environment: the base of <c>${VAR}</c> expansion.</param>
    public static StackFile Load(string path, string node, ScriptCatalog? packageScripts, IReadOnlyDictionary<string, string> nodeEnvironment)
    {
        ArgumentNullException.ThrowIfNull(nodeEnvironment);
        var source = new YamlSource(System.IO.Path.GetFullPath(path));
        var filesRead = new List<string> { source.Path };
        var root = source.LoadRoot();
        var environment = new StackEnvironment(nodeEnvironment);
        var processes = new List<StackProcess>();
        if (root is not null)
        {
            var top = source.Mapping(root, source.FileName, "a mapping with processes (and optionally version, environment, env_file)");
            var fields = source.Fields(top, "the top level", TopKeys, extensionPrefix: "x-");
            if (fields.TryGetValue("version", out var version) && version.Value is not YamlScalarNode)
            {
                throw source.Error(version.Value, $"version must be a string (it is not read); got {YamlSource.Describe(version.Value)}.");
            }

            // Files first, then the mapping, whatever order the keys are written in: later layers win.
            if (fields.TryGetValue("env_file", out var envFile))
            {
                environment.AddEnvFiles(source, envFile.Value, "env_file", filesRead);
            }

            if (fields.TryGetValue("environment", out var variables))
            {
                environment.AddEnvironment(source, variables.Value, "environment");
            }

            if (fields.TryGetValue("processes", out var processesField) && !YamlSource.IsNull(processesField.Value))
            {
                var reader = new ProcessReader(source, node, packageScripts, environment);
                var mapping = source.Mapping(processesField.Value, "processes", "a mapping of process name to its settings");
                foreach (var (name, settings) in mapping.Children)
                {
                    processes.Add(reader.Read(name, settings, filesRead));
                }
            }
        }

        var names = processes.Select(p => p.Name).ToImmutableHashSet(StringComparer.Ordinal);
        var scripts = packageScripts?.Scripts.Select(s => s.Name).Where(s => !names.Contains(s)) ?? [];
        var dependencies = new StackDependencies(source, node, processes, scripts);
        var resolved = processes.Select(p => (Process: p, DependsOn: dependencies.Resolve(p))).ToList();
        dependencies.CheckCycles(processes);

        var mine = resolved
            .Where(r => r.Process.Placement is null || r.Process.Placement == node)
            .Select(r => r.Process.Definition with { DependsOn = r.DependsOn })
            .OrderBy(d => d.Name, StringComparer.Ordinal)
            .ToImmutableArray();
        return new StackFile(source.Path, mine, names, [.. filesRead.Distinct(StringComparer.Ordinal)]);
    }
}
