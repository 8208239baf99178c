using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;

namespace Brummer.LoadTest;

/// <summary>A script of the load stack: <see cref="Short"/> ones exit on their own, the others run until stopped.</summary>
internal sealed record ScriptSpec(string Node, string Name, bool Short);

/// <summary>
/// Two nodes (<c>a</c>, <c>b</c>) and one gateway, each its own <c>dotnet brummer.dll</c> OS process on loopback, as
/// three machines would run them; each node has a stack directory of its own with the same 50 package.json scripts.
/// </summary>
internal sealed class BrummerCluster : IAsyncDisposable
{
    public const string LongPrefix = "long-";
    public const string ShortPrefix = "short-";

    /// <summary>The embedded node's name, and its script that prints as fast as its pipe takes (flood scenario).</summary>
    public const string EmbeddedNode = "local";
    public const string FloodScript = "flood";

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly List<ChildProcess> _processes = [];
    private readonly string _runDirectory;

    private readonly int _nodes;

    private BrummerCluster(string runDirectory, string membership, int nodes)
    {
        _runDirectory = runDirectory;
        Membership = membership;
        _nodes = nodes;
    }

    /// <summary>How the members find each other, as shown in the report.</summary>
    public string Membership { get; }

    /// <summary>Node a; in an embedded run, the one <c>brummer up</c> process (also <see cref="Gateway"/>).</summary>
    public ChildProcess NodeA { get; private set; } = null!;

    public ChildProcess NodeB { get; private set; } = null!;

    public ChildProcess Gateway { get; private set; } = null!;

    public Uri GatewayUrl { get; private set; } = null!;

    public Uri McpUrl => new(GatewayUrl, "/mcp");

    /// <summary>Every script of every node, the <see cref="FloodScript"/> included.</summary>
    public IReadOnlyList<ScriptSpec> Scripts { get; private set; } = [];

    /// <summary>The scripts started before anything is measured (all but the flood).</summary>
    public IEnumerable<ScriptSpec> Primed => Scripts.Where(s => s.Name != FloodScript);

    /// <summary>Every process group leader a node reported, killed at the end if a node failed to stop it.</summary>
    public HashSet<int> ScriptPids { get; } = [];

    /// <param name="environment">Set for every node and the gateway besides PATH (e.g. OTEL_* settings).</param>
    /// <param name="nodeArgs">Added to each <c>brummer node</c> command line (e.g. <c>--otel-logs off</c>).</param>
    public static async Task<BrummerCluster> StartAsync(
        LoadTestOptions options, string runDirectory, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? nodeArgs = null)
    {
        var (silo, siloGateway) = (FreePort(), FreePort());
        var connection = options.Redis is { Length: > 0 } redis
            ? $"redis://{redis}"
            : $"dev://127.0.0.1:{silo}?gateway={siloGateway}";
        var clusterId = "load-" + Guid.NewGuid().ToString("n")[..8];
        var cluster = new BrummerCluster(runDirectory, options.Redis is { Length: > 0 } ? $"Redis ({connection}, cluster id {clusterId})" : $"development clustering ({connection}: node a is the primary)", nodes: 2);
        try
        {
            var path = WriteStacks(runDirectory, ["a", "b"], options, embedded: null, out var scripts);
            cluster.Scripts = scripts;
            var variables = Variables(path, environment);

            // The primary of dev clustering (node a: its silo port is the URL's) must be up before anyone joins.
            cluster.NodeA = await cluster.StartNodeAsync(options, "a", connection, clusterId, silo, siloGateway, variables, nodeArgs ?? [], cancellationToken);
            cluster.NodeB = await cluster.StartNodeAsync(options, "b", connection, clusterId, FreePort(), FreePort(), variables, nodeArgs ?? [], cancellationToken);
            await cluster.ServeAsync(
                cluster.Start(options, "gateway", variables, "gateway", "--cluster", connection, "--cluster-id", clusterId, "--port", "0"),
                cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// One <c>brummer up</c> process (node <see cref="EmbeddedNode"/> and the gateway share it, as on a developer's
    /// machine) over <c>--scripts-per-node</c> long scripts and the scenario's own <paramref name="scripts"/>
    /// (name → shell body), e.g. the <see cref="FloodScript"/>.
    /// </summary>
    /// <param name="environment">Set for the process besides PATH (e.g. OTEL_* settings).</param>
    /// <param name="upArgs">Added to the <c>brummer up</c> command line (e.g. <c>--otel-logs off</c>).</param>
    public static async Task<BrummerCluster> StartEmbeddedAsync(
        LoadTestOptions options, string runDirectory, IReadOnlyDictionary<string, string> scripts, CancellationToken cancellationToken,
        IReadOnlyDictionary<string, string>? environment = null, IReadOnlyList<string>? upArgs = null)
    {
        var cluster = new BrummerCluster(runDirectory, "none: `brummer up`, node and gateway in one process", nodes: 1);
        try
        {
            var path = WriteStacks(runDirectory, [EmbeddedNode], options, scripts, out var all);
            cluster.Scripts = all;
            cluster.NodeA = cluster.Start(
                options, "up", Variables(path, environment),
                ["up", "--node", EmbeddedNode, "--dir", Path.Combine(runDirectory, EmbeddedNode), "--port", "0", "--stop-timeout", "2", .. upArgs ?? []]);
            await cluster.ServeAsync(cluster.NodeA, cancellationToken);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the gateway lists every node up with all their scripts.</summary>
    public async Task WaitForNodesAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var scripts = await http.GetFromJsonAsync<JsonElement>(new Uri(GatewayUrl, "/api/scripts"), cancellationToken);
            var nodes = await http.GetFromJsonAsync<JsonElement>(new Uri(GatewayUrl, "/api/nodes"), cancellationToken);
            var up = nodes.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("status").GetString() == "up");
            if (up == _nodes && scripts.GetProperty("scripts").GetArrayLength() == Scripts.Count)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the gateway did not see {_nodes} node(s) and their {Scripts.Count} scripts within 60 s");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    /// <summary>Stops the gateway, then the nodes (each stops its scripts), then kills any script group still alive.</summary>
    public async ValueTask DisposeAsync()
    {
        for (var i = _processes.Count - 1; i >= 0; i--)
        {
            try
            {
                await _processes[i].StopAsync(TimeSpan.FromSeconds(20));
            }
            catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Already gone.
            }

            await _processes[i].DisposeAsync();
        }

        foreach (var pid in ScriptPids)
        {
            if (Directory.Exists($"/proc/{pid}"))
            {
                Console.Error.WriteLine($"script process group {pid} outlived its node; killing it");
                ChildProcess.Signal(-pid, "KILL");
            }
        }
    }

    /// <summary>Takes <paramref name="gateway"/> as the gateway once it prints its MCP URL (a port of its own choosing).</summary>
    private async Task ServeAsync(ChildProcess gateway, CancellationToken cancellationToken)
    {
        var mcpLine = await gateway.WaitForLineAsync(l => l.StartsWith("MCP:", StringComparison.Ordinal), TimeSpan.FromSeconds(60), cancellationToken);
        Gateway = gateway;
        GatewayUrl = new Uri(new Uri(mcpLine["MCP:".Length..].Trim()), "/");
    }

    private async Task<ChildProcess> StartNodeAsync(
        LoadTestOptions options, string name, string connection, string clusterId, int siloPort, int gatewayPort,
        Dictionary<string, string> environment, IReadOnlyList<string> nodeArgs, CancellationToken cancellationToken)
    {
        var node = Start(
            options, "node-" + name, environment,
            [
                "node", "--name", name, "--dir", Path.Combine(_runDirectory, name), "--cluster", connection, "--cluster-id", clusterId,
                "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture),
                "--stop-timeout", "2", .. nodeArgs,
            ]);
        await node.WaitForLineAsync(l => l.Contains($"Node '{name}' joined", StringComparison.Ordinal), TimeSpan.FromSeconds(60), cancellationToken);
        return node;
    }

    private static Dictionary<string, string> Variables(string path, IReadOnlyDictionary<string, string>? extra)
    {
        var variables = new Dictionary<string, string>(StringComparer.Ordinal) { ["PATH"] = path };
        foreach (var (key, value) in extra ?? new Dictionary<string, string>())
        {
            variables[key] = value;
        }

        return variables;
    }

    private ChildProcess Start(LoadTestOptions options, string name, Dictionary<string, string> environment, params string[] args)
    {
        var process = ChildProcess.Start(name, options.BrummerDll, environment, Path.Combine(_runDirectory, name + ".log"), args);
        _processes.Add(process);
        return process;
    }

    /// <summary>
    /// Writes each node's stack directory and the stand-in package manager; returns the PATH for the nodes.
    /// The stand-in (<c>bin/npm</c>) runs <c>npm run NAME</c> the way npm does, <c>sh</c> over the script body, but
    /// without starting node.js: a real <c>npm run</c> costs about 0.2 s of CPU per start here, so at the churn rate of
    /// this test npm itself, not Brummer, would own both cores. <paramref name="embedded"/>: the embedded scenarios'
    /// own scripts beside the long ones; null for the churn's stacks (half of them short).
    /// </summary>
    private static string WriteStacks(
        string runDirectory, string[] nodes, LoadTestOptions options, IReadOnlyDictionary<string, string>? embedded, out IReadOnlyList<ScriptSpec> scripts)
    {
        var bin = Path.Combine(runDirectory, "bin");
        Directory.CreateDirectory(bin);
        var npm = Path.Combine(bin, "npm");
        File.WriteAllText(npm, """
            #!/bin/sh
            # Brummer load test's stand-in for `npm run NAME`: sh over the script body, as npm does, without node.js.
            [ "$1" = run ] || { echo "load-test npm stand-in: only 'run NAME' is supported" >&2; exit 2; }
            exec /bin/sh "./.load/$2.sh"

            """);
        File.SetUnixFileMode(npm, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);

        var all = new List<ScriptSpec>();
        var shortSeconds = options.ShortLifetime.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        foreach (var node in nodes)
        {
            var directory = Path.Combine(runDirectory, node);
            var bodies = Path.Combine(directory, ".load");
            Directory.CreateDirectory(bodies);
            var package = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < options.ScriptsPerNode; i++)
            {
                // Half run until stopped; half exit on their own and print when they end (ns since the epoch, via
                // date(1)) as their last line, so the report can tell how long the node took to notice the exit.
                // An embedded run has only long ones: its own scripts are the one change it is about.
                var isShort = embedded is null && i >= options.ScriptsPerNode / 2;
                var name = (isShort ? ShortPrefix : LongPrefix) + i.ToString("00", CultureInfo.InvariantCulture);
                var body = isShort ? $"sleep {shortSeconds}; date +%s%N" : "exec sleep 3600";
                package[name] = body;
                File.WriteAllText(Path.Combine(bodies, name + ".sh"), body + "\n");
                all.Add(new ScriptSpec(node, name, isShort));
            }

            foreach (var (name, body) in embedded ?? new Dictionary<string, string>())
            {
                package[name] = body;
                File.WriteAllText(Path.Combine(bodies, name + ".sh"), body + "\n");
                all.Add(new ScriptSpec(node, name, Short: false));
            }

            File.WriteAllText(
                Path.Combine(directory, "package.json"),
                JsonSerializer.Serialize(new { name = "load-" + node, @private = true, scripts = package }, Indented));
        }

        scripts = all;
        return bin + Path.PathSeparator + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");
    }

    /// <summary>
    /// The flood script's body: yes(1) writes its line as fast as the pipe takes it, more than the node can read, so the
    /// figure is the node's ingestion rate, and the node reads flat out for the whole flood segment.
    /// </summary>
    public static string FloodBody(int lineBytes) => $"exec yes '{FloodLine(lineBytes)}'";

    /// <summary>A printable line that, with its newline, is <paramref name="bytes"/> long.</summary>
    public static string FloodLine(int bytes)
    {
        const string Text = "GET /api/orders/1234 200 12ms user=alice trace=4bf92f3577b34da6a3ce929d0e0e4736 ";
        var line = string.Concat(Enumerable.Repeat(Text, (bytes / Text.Length) + 1));
        return line[..(bytes - 1)];
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
