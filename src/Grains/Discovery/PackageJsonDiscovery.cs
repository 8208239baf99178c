using System.Text.Json;

namespace Brummer.Grains.Discovery;

/// <summary>
/// Discovers the <c>scripts</c> of a directory's package.json and the package manager that runs them:
/// the <c>packageManager</c> field first, then the lockfile (pnpm, yarn, bun) or pnpm-workspace.yaml, otherwise npm.
/// In a monorepo each workspace package's scripts are listed too, as <c>PACKAGE:SCRIPT</c> (e.g. <c>@shop/web:dev</c>;
/// the directory's name when the package has none), run in that package's directory by the root's package manager.
/// How each is started (through the manager, or directly where that is safe) is <see cref="PackageScriptStart"/>'s call.
/// </summary>
public static class PackageJsonDiscovery
{
    public const string FileName = "package.json";

    private static readonly string[] KnownManagers = ["npm", "pnpm", "yarn", "bun"];

    /// <summary>Direct starts as the node's environment allows (<c>BRUMMER_DIRECT_SCRIPTS=0</c> turns them off).</summary>
    public static ScriptCatalog Discover(string directory) => Discover(directory, PackageScriptStart.AllowedByEnvironment());

    public static ScriptCatalog Discover(string directory, bool directStart)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(directory);
        var root = Path.GetFullPath(directory);
        if (!Directory.Exists(root))
        {
            throw new ScriptDiscoveryException($"Directory '{root}' does not exist.");
        }

        var path = Path.Combine(root, FileName);
        if (!File.Exists(path))
        {
            throw new ScriptDiscoveryException($"{path}: not found. Brummer runs the scripts of a package.json; pass --dir to point at a project.");
        }

        PackageManifest rootPackage;
        string manager;
        IReadOnlyList<string> members;
        using (var document = Parse(path))
        {
            rootPackage = PackageManifest.Read(path, document.RootElement);
            manager = ChooseManager(root, path, document.RootElement);
            members = WorkspacePackages.Find(root, path, document.RootElement, manager);
        }

        var start = PackageScriptStart.For(manager, root, directStart);
        var scripts = new Dictionary<string, (ScriptDefinition Script, string File)>(StringComparer.Ordinal);
        Add(scripts, start, rootPackage, prefix: null);
        foreach (var member in members)
        {
            var memberPath = Path.Combine(member, FileName);
            using var document = Parse(memberPath);
            var package = PackageManifest.Read(memberPath, document.RootElement);
            Add(scripts, start, package, prefix: (package.Name ?? Path.GetFileName(member)) + ":");
        }

        return new ScriptCatalog(root, scripts.Values.Select(s => s.Script));
    }

    private static void Add(Dictionary<string, (ScriptDefinition Script, string File)> scripts, PackageScriptStart start, PackageManifest package, string? prefix)
    {
        foreach (var (script, _) in package.Scripts)
        {
            var name = prefix + script;
            ValidateName(package.Path, name);
            if (scripts.TryGetValue(name, out var taken))
            {
                throw new ScriptDiscoveryException(
                    $"{package.Path}: script \"{name}\" is also defined by {taken.File}; workspace package names must be unique.");
            }

            scripts[name] = (start.Define(name, script, package), package.Path);
        }
    }

    private static JsonDocument Parse(string path)
    {
        try
        {
            var bytes = File.ReadAllBytes(path);
            return JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = false, CommentHandling = JsonCommentHandling.Disallow });
        }
        catch (JsonException ex)
        {
            // JsonException positions are zero-based; editors count from one.
            var line = (ex.LineNumber ?? 0) + 1;
            var column = (ex.BytePositionInLine ?? 0) + 1;
            throw new ScriptDiscoveryException($"{path}: invalid JSON at line {line}, column {column}: {FirstSentence(ex.Message)}", ex);
        }
        catch (IOException ex)
        {
            throw new ScriptDiscoveryException($"{path}: cannot be read: {ex.Message}", ex);
        }
    }

    private static string ChooseManager(string root, string path, JsonElement package)
    {
        if (package.TryGetProperty("packageManager", out var field) && field.ValueKind == JsonValueKind.String)
        {
            var value = field.GetString()!;
            var name = value.Split('@', 2)[0].Trim();
            if (!KnownManagers.Contains(name, StringComparer.Ordinal))
            {
                throw new ScriptDiscoveryException(
                    $"{path}: \"packageManager\" is \"{value}\"; expected one of {string.Join(", ", KnownManagers)} (e.g. \"pnpm@9.0.0\").");
            }

            return name;
        }

        if (File.Exists(Path.Combine(root, "pnpm-lock.yaml")) || File.Exists(Path.Combine(root, WorkspacePackages.PnpmFileName)))
        {
            return "pnpm";
        }

        if (File.Exists(Path.Combine(root, "yarn.lock")))
        {
            return "yarn";
        }

        if (File.Exists(Path.Combine(root, "bun.lock")) || File.Exists(Path.Combine(root, "bun.lockb")))
        {
            return "bun";
        }

        return "npm";
    }

    private static void ValidateName(string path, string name)
    {
        // Names travel in grain keys (node/script, split at the first '/', so a name may hold more), URLs (escaped) and
        // log lines; a control character has no place in any of them.
        if (name.Length == 0 || name.Any(char.IsControl))
        {
            throw new ScriptDiscoveryException($"{path}: script name \"{name}\" cannot be empty or contain control characters.");
        }
    }

    private static string FirstSentence(string message)
    {
        // System.Text.Json appends its own zero-based position ("LineNumber: 2 | ..."); ours replaces it.
        foreach (var marker in (string[])[" LineNumber:", " Path:"])
        {
            var cut = message.IndexOf(marker, StringComparison.Ordinal);
            if (cut > 0)
            {
                message = message[..cut];
            }
        }

        return message.TrimEnd();
    }
}
