using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;

namespace Brummer.Grains.Discovery;

/// <summary>
/// The node and npm this machine would run a script with (found on the node's PATH), for the variables <c>npm run</c>
/// gives a script: <c>NODE</c>, <c>npm_execpath</c>, <c>npm_config_user_agent</c>. Whatever is not found is left out,
/// as it would be missing for npm too.
/// </summary>
internal sealed record NpmToolchain(string? NodePath, string? NodeVersion, string? Platform, string? Arch, string? NpmRoot, string? NpmVersion)
{
    private static readonly TimeSpan AskLimit = TimeSpan.FromSeconds(5);

    /// <summary>npm-cli.js, the file npm runs (npm_execpath); null when npm is not a regular npm install.</summary>
    public string? NpmCli => NpmRoot is null ? null : Path.Combine(NpmRoot, "bin", "npm-cli.js");

    /// <summary>npm puts its node-gyp shim on a script's PATH after the node_modules/.bin directories.</summary>
    public string? NodeGypBin => NpmRoot is null ? null : Existing(Path.Combine(NpmRoot, "node_modules", "@npmcli", "run-script", "lib", "node-gyp-bin"));

    public string? NodeGyp => NpmRoot is null ? null : Existing(Path.Combine(NpmRoot, "node_modules", "node-gyp", "bin", "node-gyp.js"));

    /// <summary>npm's global prefix (its global npmrc lives in PREFIX/etc/npmrc): node's grandparent directory.</summary>
    public string? GlobalPrefix => NodePath is null ? null : Path.GetDirectoryName(Path.GetDirectoryName(NodePath));

    public string? UserAgent(bool workspace) => NpmVersion is null || NodeVersion is null
        ? null
        : $"npm/{NpmVersion} node/{NodeVersion} {Platform} {Arch} workspaces/{(workspace ? "true" : "false")}";

    /// <summary>npm 10 and later name the command <c>run</c>; older ones <c>run-script</c>.</summary>
    public string Command => NpmVersion is { } v && int.TryParse(v.Split('.')[0], out var major) && major < 10 ? "run-script" : "run";

    /// <summary>Starts asking the node on PATH for its version, so that <see cref="Find"/> later finds the answer ready.</summary>
    public static void Prefetch()
    {
        if (Processes.ExecutableResolver.Find("node") is { } node)
        {
            _ = NodeAnswer.For(node);
        }
    }

    public static NpmToolchain Find()
    {
        var node = Processes.ExecutableResolver.Find("node");
        var facts = node is null ? NodeFacts.Unknown : NodeAnswer.For(node).Facts;
        var npmRoot = FindNpmRoot();
        return new NpmToolchain(node, facts.Version, facts.Platform, facts.Arch, npmRoot, npmRoot is null ? null : ReadVersion(Path.Combine(npmRoot, "package.json")));
    }

    private static string? FindNpmRoot()
    {
        // A regular install links bin/npm to lib/node_modules/npm/bin/npm-cli.js; a wrapper script tells us nothing.
        if (Processes.ExecutableResolver.Find("npm") is not { } npm)
        {
            return null;
        }

        var target = File.ResolveLinkTarget(npm, returnFinalTarget: true)?.FullName ?? npm;
        return Path.GetFileName(target) == "npm-cli.js" && Path.GetDirectoryName(Path.GetDirectoryName(target)) is { } root &&
            File.Exists(Path.Combine(root, "package.json"))
            ? root
            : null;
    }

    /// <summary>
    /// One run of <c>node -p</c> per node executable (path and last write), started when first wanted and read when
    /// first needed: a start-up prefetches it while the host is built (it takes ~80 ms), and a reload, which reads the
    /// scripts again, asks node again only if node itself changed. A failed answer is not kept.
    /// </summary>
    private sealed class NodeAnswer
    {
        private static readonly ConcurrentDictionary<(string Path, DateTime Written), Lazy<NodeAnswer>> Answers = new();

        private readonly (string Path, DateTime Written) _key;
        private readonly Process? _process;
        private readonly Lazy<NodeFacts> _facts;

        private NodeAnswer((string Path, DateTime Written) key)
        {
            _key = key;
            _process = TryStart(key.Path);
            _facts = new(Read, LazyThreadSafetyMode.ExecutionAndPublication);
        }

        public NodeFacts Facts => _facts.Value;

        public static NodeAnswer For(string node)
        {
            var key = (node, File.GetLastWriteTimeUtc(node));
            return Answers.GetOrAdd(key, static k => new Lazy<NodeAnswer>(() => new NodeAnswer(k))).Value;
        }

        private static Process? TryStart(string node)
        {
            try
            {
                return Process.Start(new ProcessStartInfo(node, ["-p", "process.version + ' ' + process.platform + ' ' + process.arch"])
                {
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                });
            }
            catch (Exception ex) when (ex is System.ComponentModel.Win32Exception or InvalidOperationException)
            {
                return null;
            }
        }

        private NodeFacts Read()
        {
            var facts = ReadOnce();
            if (facts.Version is null)
            {
                Answers.TryRemove(_key, out _);
            }

            return facts;
        }

        private NodeFacts ReadOnce()
        {
            if (_process is null)
            {
                return NodeFacts.Unknown;
            }

            using var process = _process;
            // Its answer is one short line: the pipe holds it, so node never waits for us to read.
            if (!process.WaitForExit(AskLimit))
            {
                process.Kill();
                return NodeFacts.Unknown;
            }

            var parts = process.StandardOutput.ReadToEnd().Trim().Split(' ');
            return process.ExitCode == 0 && parts.Length == 3 ? new NodeFacts(parts[0], parts[1], parts[2]) : NodeFacts.Unknown;
        }
    }

    /// <summary>node's version, platform and arch (<c>process.version</c>, <c>.platform</c>, <c>.arch</c>); nulls when it could not tell.</summary>
    private readonly record struct NodeFacts(string? Version, string? Platform, string? Arch)
    {
        public static NodeFacts Unknown => default;
    }

    private static string? ReadVersion(string packageJson)
    {
        try
        {
            using var document = JsonDocument.Parse(File.ReadAllBytes(packageJson));
            return document.RootElement.TryGetProperty("version", out var version) && version.ValueKind == JsonValueKind.String ? version.GetString() : null;
        }
        catch (Exception ex) when (ex is IOException or JsonException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    private static string? Existing(string path) => Path.Exists(path) ? path : null;
}
