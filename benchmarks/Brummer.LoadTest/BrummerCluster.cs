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

    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    private readonly List<ChildProcess> _processes = [];
    private readonly string _runDirectory;

    private BrummerCluster(string runDirectory, string membership)
    {
        _runDirectory = runDirectory;
        Membership = membership;
    }

    /// <summary>How the members find each other, as shown in the report.</summary>
    public string Membership { get; }

    public ChildProcess NodeA { get; private set; } = null!;

    public ChildProcess NodeB { get; private set; } = null!;

    public ChildProcess Gateway { get; private set; } = null!;

    public Uri GatewayUrl { get; private set; } = null!;

    public Uri McpUrl => new(GatewayUrl, "/mcp");

    public IReadOnlyList<ScriptSpec> Scripts { get; private set; } = [];

    /// <summary>Every process group leader a node reported, killed at the end if a node failed to stop it.</summary>
    public HashSet<int> ScriptPids { get; } = [];

    public static async Task<BrummerCluster> StartAsync(LoadTestOptions options, string runDirectory, CancellationToken cancellationToken)
    {
        var (silo, siloGateway) = (FreePort(), FreePort());
        var connection = options.Redis is { Length: > 0 } redis
            ? $"redis://{redis}"
            : $"dev://127.0.0.1:{silo}?gateway={siloGateway}";
        var clusterId = "load-" + Guid.NewGuid().ToString("n")[..8];
        var cluster = new BrummerCluster(runDirectory, options.Redis is { Length: > 0 } ? $"Redis ({connection}, cluster id {clusterId})" : $"development clustering ({connection}: node a is the primary)");
        try
        {
            var path = WriteStacks(runDirectory, options, out var scripts);
            cluster.Scripts = scripts;
            var environment = new Dictionary<string, string> { ["PATH"] = path };

            // The primary of dev clustering (node a: its silo port is the URL's) must be up before anyone joins.
            cluster.NodeA = await cluster.StartNodeAsync(options, "a", connection, clusterId, silo, siloGateway, environment, cancellationToken);
            cluster.NodeB = await cluster.StartNodeAsync(options, "b", connection, clusterId, FreePort(), FreePort(), environment, cancellationToken);
            cluster.Gateway = cluster.Start(options, "gateway", environment, "gateway", "--cluster", connection, "--cluster-id", clusterId, "--port", "0");
            var mcpLine = await cluster.Gateway.WaitForLineAsync(l => l.StartsWith("MCP:", StringComparison.Ordinal), TimeSpan.FromSeconds(60), cancellationToken);
            cluster.GatewayUrl = new Uri(new Uri(mcpLine["MCP:".Length..].Trim()), "/");
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync();
            throw;
        }
    }

    /// <summary>Waits until the gateway lists both nodes up with all their scripts.</summary>
    public async Task WaitForNodesAsync(HttpClient http, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            var scripts = await http.GetFromJsonAsync<JsonElement>(new Uri(GatewayUrl, "/api/scripts"), cancellationToken);
            var nodes = await http.GetFromJsonAsync<JsonElement>(new Uri(GatewayUrl, "/api/nodes"), cancellationToken);
            var up = nodes.GetProperty("nodes").EnumerateArray().Count(n => n.GetProperty("status").GetString() == "up");
            if (up == 2 && scripts.GetProperty("scripts").GetArrayLength() == Scripts.Count)
            {
                return;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"the gateway did not see both nodes and their {Scripts.Count} scripts within 60 s");
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

    private async Task<ChildProcess> StartNodeAsync(
        LoadTestOptions options, string name, string connection, string clusterId, int siloPort, int gatewayPort,
        Dictionary<string, string> environment, CancellationToken cancellationToken)
    {
        var node = Start(
            options, "node-" + name, environment,
            "node", "--name", name, "--dir", Path.Combine(_runDirectory, name), "--cluster", connection, "--cluster-id", clusterId,
            "--silo-port", siloPort.ToString(CultureInfo.InvariantCulture), "--gateway-port", gatewayPort.ToString(CultureInfo.InvariantCulture),
            "--stop-timeout", "2");
        await node.WaitForLineAsync(l => l.Contains($"Node '{name}' joined", StringComparison.Ordinal), TimeSpan.FromSeconds(60), cancellationToken);
        return node;
    }

    private ChildProcess Start(LoadTestOptions options, string name, Dictionary<string, string> environment, params string[] args)
    {
        var process = ChildProcess.Start(name, options.BrummerDll, environment, Path.Combine(_runDirectory, name + ".log"), args);
        _processes.Add(process);
        return process;
    }

    /// <summary>
    /// Writes node a's and node b's stack directories and the stand-in package manager; returns the PATH for the nodes.
    /// The stand-in (<c>bin/npm</c>) runs <c>npm run NAME</c> the way npm does, <c>sh</c> over the script body, but
    /// without starting node.js: a real <c>npm run</c> costs about 0.2 s of CPU per start here, so at the churn rate of
    /// this test npm itself, not Brummer, would own both cores.
    /// </summary>
    private static string WriteStacks(string runDirectory, LoadTestOptions options, out IReadOnlyList<ScriptSpec> scripts)
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
        foreach (var node in (string[])["a", "b"])
        {
            var directory = Path.Combine(runDirectory, node);
            var bodies = Path.Combine(directory, ".load");
            Directory.CreateDirectory(bodies);
            var package = new SortedDictionary<string, string>(StringComparer.Ordinal);
            for (var i = 0; i < options.ScriptsPerNode; i++)
            {
                // Half run until stopped; half exit on their own and print when they end (ns since the epoch, via
                // date(1)) as their last line, so the report can tell how long the node took to notice the exit.
                var isShort = i >= options.ScriptsPerNode / 2;
                var name = (isShort ? ShortPrefix : LongPrefix) + i.ToString("00", CultureInfo.InvariantCulture);
                var body = isShort ? $"sleep {shortSeconds}; date +%s%N" : "exec sleep 3600";
                package[name] = body;
                File.WriteAllText(Path.Combine(bodies, name + ".sh"), body + "\n");
                all.Add(new ScriptSpec(node, name, isShort));
            }

            File.WriteAllText(
                Path.Combine(directory, "package.json"),
                JsonSerializer.Serialize(new { name = "load-" + node, @private = true, scripts = package }, Indented));
        }

        scripts = all;
        return bin + Path.PathSeparator + (Environment.GetEnvironmentVariable("PATH") ?? "/usr/bin:/bin");
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
