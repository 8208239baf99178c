using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Brummer.Grains.Discovery;

/// <summary>
/// The workspace packages of a monorepo root: the directories (with a package.json) matched by the globs of
/// pnpm-workspace.yaml's <c>packages</c> (pnpm) or package.json's <c>workspaces</c> (npm, yarn, bun: an array, or an
/// object with <c>packages</c>). <c>!</c> excludes; <c>*</c>, <c>?</c>, <c>**</c> and <c>{a,b}</c> match as in glob;
/// node_modules and hidden directories are never searched.
/// </summary>
internal static class WorkspacePackages
{
    public const string PnpmFileName = "pnpm-workspace.yaml";

    /// <summary>Member directories, full paths, in ordinal order; empty when the root declares no workspaces.</summary>
    public static IReadOnlyList<string> Find(string root, string packageJsonPath, JsonElement package, string manager)
    {
        var pnpmFile = Path.Combine(root, PnpmFileName);
        var declaredIn = manager == "pnpm" && File.Exists(pnpmFile) ? pnpmFile : packageJsonPath;
        var patterns = declaredIn == pnpmFile ? ReadPnpm(pnpmFile) : ReadPackageJson(packageJsonPath, package);
        if (patterns.Count == 0)
        {
            return [];
        }

        var include = patterns.Where(p => !p.StartsWith('!')).Select(p => Glob(declaredIn, p)).ToList();
        var exclude = patterns.Where(p => p.StartsWith('!')).Select(p => Glob(declaredIn, p[1..])).ToList();
        var deep = patterns.Any(p => p.Contains("**", StringComparison.Ordinal));
        var depth = deep ? int.MaxValue : patterns.Max(p => Normalize(p.TrimStart('!')).Split('/').Length);

        var members = new List<string>();
        Walk(root, string.Empty, depth, relative =>
        {
            if (include.Any(g => g.IsMatch(relative)) && !exclude.Any(g => g.IsMatch(relative)) &&
                File.Exists(Path.Combine(root, relative, PackageJsonDiscovery.FileName)))
            {
                members.Add(Path.Combine(root, relative));
            }
        });
        members.Sort(StringComparer.Ordinal);
        return members;
    }

    private static List<string> ReadPackageJson(string path, JsonElement package)
    {
        if (!package.TryGetProperty("workspaces", out var workspaces))
        {
            return [];
        }

        // yarn classic's object form: { "packages": [...], "nohoist": [...] }.
        var list = workspaces.ValueKind == JsonValueKind.Object && workspaces.TryGetProperty("packages", out var packages) ? packages : workspaces;
        if (list.ValueKind != JsonValueKind.Array || list.EnumerateArray().Any(e => e.ValueKind != JsonValueKind.String))
        {
            throw new ScriptDiscoveryException(
                $"{path}: \"workspaces\" must be an array of globs (e.g. [\"packages/*\"]) or an object with \"packages\": [...].");
        }

        return [.. list.EnumerateArray().Select(e => e.GetString()!).Where(p => p.Trim().Length > 0)];
    }

    private static List<string> ReadPnpm(string path)
    {
        YamlStream stream;
        try
        {
            using var reader = new StreamReader(path);
            stream = YamlText.Load(path, reader);
        }
        catch (IOException ex)
        {
            throw new ScriptDiscoveryException($"{path}: cannot be read: {ex.Message}", ex);
        }

        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root ||
            !root.Children.TryGetValue(new YamlScalarNode("packages"), out var node))
        {
            return [];
        }

        if (node is not YamlSequenceNode sequence || sequence.Children.Any(c => c is not YamlScalarNode))
        {
            throw new ScriptDiscoveryException(
                $"{path}: line {node.Start.Line}, column {node.Start.Column}: \"packages\" must be a list of globs (e.g. - 'packages/*').");
        }

        return [.. sequence.Children.Cast<YamlScalarNode>().Select(s => s.Value ?? string.Empty).Where(p => p.Trim().Length > 0)];
    }

    private static void Walk(string root, string relative, int depth, Action<string> visit)
    {
        if (depth == 0)
        {
            return;
        }

        IEnumerable<string> children;
        try
        {
            children = Directory.EnumerateDirectories(Path.Combine(root, relative));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return;
        }

        foreach (var child in children.Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(child);
            if (name == "node_modules" || name.StartsWith('.') || new FileInfo(child).LinkTarget is not null)
            {
                continue;
            }

            var path = relative.Length == 0 ? name : $"{relative}/{name}";
            visit(path);
            Walk(root, path, depth == int.MaxValue ? depth : depth - 1, visit);
        }
    }

    private static string Normalize(string pattern)
    {
        pattern = pattern.Trim().Replace('\\', '/');
        while (pattern.StartsWith("./", StringComparison.Ordinal))
        {
            pattern = pattern[2..];
        }

        return pattern.TrimEnd('/');
    }

    /// <summary>A glob over a '/'-separated path relative to the root, as a regular expression.</summary>
    private static Regex Glob(string file, string pattern)
    {
        try
        {
            return Glob(pattern);
        }
        catch (ArgumentException ex)
        {
            throw new ScriptDiscoveryException($"{file}: workspace glob \"{pattern}\" is not valid (unbalanced braces?): use *, ?, ** and {{a,b}}.", ex);
        }
    }

    private static Regex Glob(string pattern)
    {
        var glob = Normalize(pattern);
        var regex = new StringBuilder("^");
        for (var i = 0; i < glob.Length; i++)
        {
            var c = glob[i];
            if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
            {
                // '**/' matches any number of directories, a trailing '**' any path below.
                var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                regex.Append(slash ? "(?:[^/]+/)*" : ".*");
                i += slash ? 2 : 1;
            }
            else
            {
                regex.Append(c switch
                {
                    '*' => "[^/]*",
                    '?' => "[^/]",
                    '{' => "(?:",
                    '}' => ")",
                    ',' when Inside(glob, i) => "|",
                    _ => Regex.Escape(c.ToString()),
                });
            }
        }

        return new Regex(regex.Append('$').ToString(), RegexOptions.CultureInvariant, TimeSpan.FromSeconds(1));
    }

    private static bool Inside(string glob, int at) =>
        glob.LastIndexOf('{', at) > glob.LastIndexOf('}', at);
}
