using System.Text.Json;

namespace Brummer.Grains.Discovery;

/// <summary>
/// Discovers the <c>scripts</c> of a directory's package.json and the package manager that runs them:
/// the <c>packageManager</c> field first, then the lockfile (pnpm, yarn, bun), otherwise npm.
/// </summary>
public static class PackageJsonDiscovery
{
    public const string FileName = "package.json";

    private static readonly string[] KnownManagers = ["npm", "pnpm", "yarn", "bun"];

    public static ScriptCatalog Discover(string directory)
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

        using var document = Parse(path);
        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            throw new ScriptDiscoveryException($"{path}: the top level must be a JSON object.");
        }

        var manager = ChooseManager(root, path, document.RootElement);
        var source = $"{FileName} ({manager})";
        var scripts = new List<ScriptDefinition>();
        if (document.RootElement.TryGetProperty("scripts", out var scriptsElement))
        {
            if (scriptsElement.ValueKind != JsonValueKind.Object)
            {
                throw new ScriptDiscoveryException($"{path}: \"scripts\" must be an object of name → command.");
            }

            foreach (var script in scriptsElement.EnumerateObject())
            {
                if (script.Value.ValueKind != JsonValueKind.String)
                {
                    throw new ScriptDiscoveryException($"{path}: script \"{script.Name}\" must be a string command.");
                }

                ValidateName(path, script.Name);
                scripts.Add(new ScriptDefinition(
                    script.Name,
                    script.Value.GetString()!,
                    manager,
                    ["run", script.Name],
                    root,
                    source));
            }
        }

        return new ScriptCatalog(root, scripts);
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

        if (File.Exists(Path.Combine(root, "pnpm-lock.yaml")))
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
        // Names travel in grain keys (node/script) and URLs; a slash or control character would break both.
        if (name.Length == 0 || name.Contains('/', StringComparison.Ordinal) || name.Any(char.IsControl))
        {
            throw new ScriptDiscoveryException($"{path}: script name \"{name}\" cannot be empty or contain '/' or control characters.");
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
