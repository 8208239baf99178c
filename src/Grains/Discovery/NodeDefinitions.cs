using System.Collections;
using Brummer.Grains.Discovery.Stack;

namespace Brummer.Grains.Discovery;

/// <summary>
/// What a node runs, read from its directory: the <c>scripts</c> of package.json and the <c>processes</c> of
/// brummer.yaml (or brummer.yml) that run on this node. Either file may be missing, not both.
/// <para>
/// A brummer.yaml process named like a package.json script takes the name: the yaml one is what the node runs under
/// it (and what <c>depends_on</c> means by it); the package.json script stays reachable through <c>script:</c>.
/// package.json scripts start only on request; brummer.yaml processes start with the node unless <c>autostart: false</c>.
/// </para>
/// </summary>
public static class NodeDefinitions
{
    /// <summary>
    /// Starts, in the background, what reading a directory asks of the machine (the version of the node on PATH), so a
    /// host that calls this first and reads its directory while being built does not wait for it.
    /// </summary>
    public static void Prefetch() => NpmToolchain.Prefetch();

    /// <summary>Reads <paramref name="directory"/> for node <paramref name="node"/>, expanding variables against this process's environment.</summary>
    /// <exception cref="ScriptDiscoveryException">A file is missing, malformed or inconsistent; the message says where and why.</exception>
    public static ScriptCatalog Load(string directory, string node) => Load(directory, node, CurrentEnvironment());

    /// <param name="nodeEnvironment">The node's own environment, the base of <c>${VAR}</c> expansion.</param>
    public static ScriptCatalog Load(string directory, string node, IReadOnlyDictionary<string, string> nodeEnvironment)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        ArgumentException.ThrowIfNullOrWhiteSpace(node);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new ScriptDiscoveryException($"Directory '{root}' does not exist.");
        }

        var stackPath = StackFile.Find(root);
        var packagePath = Path.Combine(root, PackageJsonDiscovery.FileName);
        var package = File.Exists(packagePath) ? PackageJsonDiscovery.Discover(root) : null;
        if (stackPath is null)
        {
            return package is not null
                ? new ScriptCatalog(root, package.Scripts, [packagePath])
                : throw new ScriptDiscoveryException(
                    $"{root}: no {StackFile.FileName} or {PackageJsonDiscovery.FileName}; Brummer runs the processes of one or both. Pass --dir to point at a project.");
        }

        var stack = StackFile.Load(stackPath, node, package, nodeEnvironment);
        var scripts = package?.Scripts.Where(s => !stack.Names.Contains(s.Name)) ?? [];
        var sources = package is null ? stack.Sources : [packagePath, .. stack.Sources];
        return new ScriptCatalog(root, scripts.Concat(stack.Processes), sources);
    }

    private static Dictionary<string, string> CurrentEnvironment()
    {
        var environment = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
        {
            environment[(string)entry.Key] = (string?)entry.Value ?? string.Empty;
        }

        return environment;
    }
}
