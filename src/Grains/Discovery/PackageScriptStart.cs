using System.Collections.Immutable;
using System.Text.RegularExpressions;

namespace Brummer.Grains.Discovery;

/// <summary>
/// How a package.json script is started. Through its package manager (<c>npm run NAME</c> in the package's directory),
/// or — for npm, where its behaviour can be reproduced faithfully — directly, as npm itself would run it: <c>sh -c</c>
/// in the package's directory with every node_modules/.bin from there up to / first on PATH, the <c>npm_*</c>
/// variables npm sets, and <c>preNAME</c> / <c>postNAME</c> around it, each stopping the chain at its first failure.
/// That saves npm's own start (about 0.2 s of CPU per script), which dominates starting many scripts at once.
/// <para>
/// Direct start falls back to the package manager when it could differ: a manager other than npm (pnpm, yarn and bun
/// have their own rules for pre/post scripts and PATH; yarn PnP needs its loader); an npm config (an .npmrc from the
/// package up to /, the user's, the global or npm's builtin one, or an <c>npm_config_*</c> variable) that sets
/// <c>script-shell</c>, <c>node-options</c> or <c>ignore-scripts</c>; a script that reads an <c>npm_config_*</c>
/// variable other than those set here; or <c>BRUMMER_DIRECT_SCRIPTS=0</c> on the node.
/// </para>
/// </summary>
internal sealed partial class PackageScriptStart
{
    public const string OptOutVariable = "BRUMMER_DIRECT_SCRIPTS";

    private const string Shell = "/bin/sh";

    /// <summary>The npm settings that change how npm runs a script; if any is set, npm runs it.</summary>
    private static readonly string[] ScriptSettings = ["script-shell", "node-options", "ignore-scripts"];

    private static readonly HashSet<string> ConfigVariablesSet = new(["user_agent", "local_prefix", "node_gyp"], StringComparer.Ordinal);

    private readonly string _manager;
    private readonly string _root;
    private readonly NpmToolchain? _npm;
    private readonly string _nodePath;
    private readonly Dictionary<string, bool> _configuredDirectories = new(StringComparer.Ordinal);

    private PackageScriptStart(string manager, string root, NpmToolchain? npm)
    {
        _manager = manager;
        _root = root;
        _npm = npm;
        _nodePath = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
    }

    public bool Direct => _npm is not null;

    /// <summary>Whether the node allows direct starts: yes unless <c>BRUMMER_DIRECT_SCRIPTS</c> is 0, false or no.</summary>
    public static bool AllowedByEnvironment() =>
        Environment.GetEnvironmentVariable(OptOutVariable)?.Trim().ToLowerInvariant() is not ("0" or "false" or "no" or "off");

    public static PackageScriptStart For(string manager, string root, bool directAllowed)
    {
        if (!directAllowed || manager != "npm")
        {
            return new PackageScriptStart(manager, root, npm: null);
        }

        var npm = NpmToolchain.Find();
        return SetsScriptBehaviour(npm, root) ? new PackageScriptStart(manager, root, npm: null) : new PackageScriptStart(manager, root, npm);
    }

    /// <param name="name">The name users see (<c>dev</c>, or <c>@shop/web:dev</c> for a workspace package's).</param>
    /// <param name="script">The script's name in its package.json.</param>
    public ScriptDefinition Define(string name, string script, PackageManifest package)
    {
        var command = package.Script(script) ?? throw new ArgumentException($"{package.Path} has no script '{script}'.", nameof(script));
        var file = Path.GetRelativePath(_root, package.Path);
        var pre = package.Script("pre" + script);
        var post = package.Script("post" + script);
        if (_npm is null || ReadsUnsetConfig(command, pre, post) || (package.Directory != _root && ConfiguredBelowRoot(package.Directory)))
        {
            return new ScriptDefinition(name, command, _manager, ["run", script], package.Directory, $"{file} ({_manager})");
        }

        return new ScriptDefinition(name, command, Shell, Arguments(script, command, pre, post), package.Directory, $"{file} ({_manager}, direct)")
        {
            Environment = NpmEnvironment(_npm, script, command, package),
        };
    }

    private static ImmutableArray<string> Arguments(string script, string command, string? pre, string? post)
    {
        if (pre is null && post is null)
        {
            return ["-c", command];
        }

        // One shell chains the steps as npm does: each its own `sh -c` with its own lifecycle variables, `&&` so the
        // first failure ends the chain with its exit code. The texts travel as positional parameters, never quoted in.
        List<(string Event, string Command)> steps = [];
        if (pre is not null)
        {
            steps.Add(("pre" + script, pre));
        }

        steps.Add((script, command));
        if (post is not null)
        {
            steps.Add(("post" + script, post));
        }

        var chain = string.Join(" && ", steps.Select((_, i) =>
            $"npm_lifecycle_event=\"${(2 * i) + 1}\" npm_lifecycle_script=\"${(2 * i) + 2}\" {Shell} -c \"${(2 * i) + 2}\""));
        return ["-c", chain, "sh", .. steps.SelectMany(s => new[] { s.Event, s.Command })];
    }

    private ImmutableSortedDictionary<string, string> NpmEnvironment(NpmToolchain npm, string script, string command, PackageManifest package)
    {
        var environment = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        environment.AddRange(package.Environment);
        environment["PATH"] = SearchPath(npm, package.Directory);
        environment["INIT_CWD"] = package.Directory;
        environment["COLOR"] = "0"; // npm's answer when output is not a terminal, as it never is under a node
        environment["npm_command"] = npm.Command;
        environment["npm_lifecycle_event"] = script;
        environment["npm_lifecycle_script"] = command;
        environment["npm_package_json"] = package.Path;
        environment["npm_config_local_prefix"] = _root;
        Set(environment, "NODE", npm.NodePath);
        Set(environment, "npm_node_execpath", npm.NodePath);
        Set(environment, "npm_execpath", npm.NpmCli);
        Set(environment, "npm_config_node_gyp", npm.NodeGyp);
        Set(environment, "npm_config_user_agent", npm.UserAgent(workspace: package.Directory != _root));
        return environment.ToImmutable();
    }

    /// <summary>npm's PATH for a script: node_modules/.bin of the package's directory and of each parent up to /, then its node-gyp shim.</summary>
    private string SearchPath(NpmToolchain npm, string directory)
    {
        var parts = new List<string>();
        for (var dir = directory; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            parts.Add(Path.Combine(dir, "node_modules", ".bin"));
        }

        if (npm.NodeGypBin is { } gyp)
        {
            parts.Add(gyp);
        }

        parts.Add(_nodePath);
        return string.Join(Path.PathSeparator, parts);
    }

    private static void Set(ImmutableSortedDictionary<string, string>.Builder environment, string key, string? value)
    {
        if (value is not null)
        {
            environment[key] = value;
        }
    }

    private static bool ReadsUnsetConfig(params string?[] commands) =>
        commands.Any(c => c is not null && ConfigReference().Matches(c).Any(m => !ConfigVariablesSet.Contains(m.Groups[1].Value)));

    /// <summary>An .npmrc between a workspace package and the root (npm reads only the root's, but a user who put one there expects it).</summary>
    private bool ConfiguredBelowRoot(string directory)
    {
        for (var dir = directory; dir is not null && dir != _root; dir = Path.GetDirectoryName(dir))
        {
            if (!_configuredDirectories.TryGetValue(dir, out var configured))
            {
                configured = _configuredDirectories[dir] = SetsScriptSetting(Path.Combine(dir, ".npmrc"));
            }

            if (configured)
            {
                return true;
            }
        }

        return false;
    }

    private static bool SetsScriptBehaviour(NpmToolchain npm, string root)
    {
        foreach (System.Collections.DictionaryEntry variable in Environment.GetEnvironmentVariables())
        {
            var key = ((string)variable.Key).ToLowerInvariant();
            if (key.StartsWith("npm_config_", StringComparison.Ordinal) && ScriptSettings.Contains(key["npm_config_".Length..].Replace('_', '-')))
            {
                return true;
            }
        }

        var files = new List<string?>
        {
            Environment.GetEnvironmentVariable("NPM_CONFIG_USERCONFIG") ?? Environment.GetEnvironmentVariable("npm_config_userconfig") ??
                Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".npmrc"),
            Environment.GetEnvironmentVariable("NPM_CONFIG_GLOBALCONFIG") ?? Environment.GetEnvironmentVariable("npm_config_globalconfig") ??
                (npm.GlobalPrefix is { } prefix ? Path.Combine(prefix, "etc", "npmrc") : null),
            npm.NpmRoot is { } npmRoot ? Path.Combine(npmRoot, "npmrc") : null,
        };
        for (var dir = root; dir is not null; dir = Path.GetDirectoryName(dir))
        {
            files.Add(Path.Combine(dir, ".npmrc"));
        }

        return files.Any(f => f is not null && SetsScriptSetting(f));
    }

    private static bool SetsScriptSetting(string npmrc)
    {
        string[] lines;
        try
        {
            lines = File.Exists(npmrc) ? File.ReadAllLines(npmrc) : [];
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return true; // unreadable: npm would read it, we cannot tell what it says
        }

        // ini: `key = value` or a bare `key` (true); ';' and '#' start comments.
        return lines
            .Select(l => l.Trim())
            .Where(l => l.Length > 0 && l[0] is not (';' or '#'))
            .Select(l => l.Split('=', 2)[0].Trim().Trim('"', '\'').ToLowerInvariant())
            .Any(ScriptSettings.Contains);
    }

    [GeneratedRegex(@"npm_config_(\w+)", RegexOptions.CultureInvariant)]
    private static partial Regex ConfigReference();
}
