using System.Diagnostics;
using System.Globalization;
using Brummer.Tests;
using ModelContextProtocol.Client;

namespace Brummer.Cli.Tests;

/// <summary>
/// A cluster of real <c>brummer</c> OS processes on loopback: nodes and a gateway joined through a real membership
/// store, each as it would run on its own machine. Disposing stops them all.
/// </summary>
internal sealed class ProcessCluster(string connection) : IAsyncDisposable
{
    /// <summary>Fast failure detection so node-loss tests take seconds (the default is 15 s).</summary>
    public const string FailureDetectionSeconds = "3";

    private readonly List<BrummerProcess> _processes = [];
    private readonly List<McpClient> _clients = [];

    public string Connection { get; } = connection;

    /// <summary>The base URL of the gateway started last (for the CLI's --gateway).</summary>
    public Uri? GatewayUrl { get; private set; }

    /// <summary>A cluster id of its own, so tests sharing one Redis or database never see each other's nodes.</summary>
    public string ClusterId { get; } = "test-" + Guid.NewGuid().ToString("n")[..10];

    /// <summary>The store named by an environment variable that .ci/run sets; skipped locally without it, fails in CI.</summary>
    public static string RequireStore(string variable)
    {
        if (Environment.GetEnvironmentVariable(variable) is { Length: > 0 } value)
        {
            return value;
        }

        Unavailable($"{variable} is not set (.ci/run starts the server and sets it)");
        return string.Empty;
    }

    /// <summary>A program a test runs itself; skipped locally without it, fails in CI (<paramref name="installedBy"/> installs it).</summary>
    public static void RequireInstalled(string program, string installedBy = ".ci/services.sh") => Unavailable($"{program} is not installed ({installedBy} installs it)");

    private static void Unavailable(string why)
    {
        if (Environment.GetEnvironmentVariable("CI") is { Length: > 0 })
        {
            Assert.Fail(why);
        }

        Assert.Skip(why);
    }

    public static string RedisUrl(string hostPort) => $"redis://{hostPort}";

    /// <summary>Starts a node and returns once it has joined the cluster.</summary>
    public Task<BrummerProcess> StartNodeAsync(string name, string directory, int siloPort, int gatewayPort, params string[] extraArgs) =>
        StartNodeAsync(name, directory, siloPort, gatewayPort, new Dictionary<string, string>(), extraArgs);

    /// <summary>Starts a node with extra variables in its environment (its scripts inherit them) and returns once it has joined.</summary>
    public async Task<BrummerProcess> StartNodeAsync(
        string name, string directory, int siloPort, int gatewayPort, IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        var node = LaunchNode(name, directory, siloPort, gatewayPort, environment, extraArgs);
        var started = Stopwatch.StartNew();
        await node.WaitForOutputAsync($"Node '{name}' joined");
        TestContext.Current.TestOutputHelper?.WriteLine($"node {name} joined {started.Elapsed.TotalSeconds:0.0} s after it was started");
        return node;
    }

    /// <summary>The gateway started last, as an OS process (for its output).</summary>
    public BrummerProcess? Gateway { get; private set; }

    /// <summary>Starts a node without waiting for it: for nodes that are expected not to join.</summary>
    /// <remarks>Failure detection is fast (<see cref="FailureDetectionSeconds"/>) unless <paramref name="extraArgs"/> sets it.</remarks>
    public BrummerProcess LaunchNode(string name, string directory, int siloPort, int gatewayPort, params string[] extraArgs) =>
        LaunchNode(name, directory, siloPort, gatewayPort, new Dictionary<string, string>(), extraArgs);

    private BrummerProcess LaunchNode(
        string name, string directory, int siloPort, int gatewayPort, IReadOnlyDictionary<string, string> environment, params string[] extraArgs)
    {
        string[] detection = extraArgs.Contains("--failure-detection") ? [] : ["--failure-detection", FailureDetectionSeconds];
        var node = BrummerProcess.Start(
            environment,
            [
                "node", "--name", name, "--dir", directory, "--cluster", Connection, "--cluster-id", ClusterId,
                "--silo-port", Port(siloPort), "--gateway-port", Port(gatewayPort),
                .. detection, "--stop-timeout", "1", .. extraArgs,
            ]);
        _processes.Add(node);
        return node;
    }

    /// <summary>Starts a gateway without waiting for it: for gateways that are expected to be refused.</summary>
    public BrummerProcess LaunchGateway(params string[] extraArgs)
    {
        var gateway = BrummerProcess.Start(["gateway", "--cluster", Connection, "--cluster-id", ClusterId, "--port", "0", .. extraArgs]);
        _processes.Add(gateway);
        return gateway;
    }

    /// <summary>Starts a gateway and returns an MCP client connected to it, once it serves.</summary>
    public async Task<McpClient> StartGatewayAsync(IReadOnlyDictionary<string, string>? environment = null, params string[] extraArgs)
    {
        var gateway = BrummerProcess.Start(
            environment ?? new Dictionary<string, string>(),
            ["gateway", "--cluster", Connection, "--cluster-id", ClusterId, "--port", "0", .. extraArgs]);
        _processes.Add(gateway);
        Gateway = gateway;
        var started = Stopwatch.StartNew();
        var url = await gateway.McpUrlAsync();
        TestContext.Current.TestOutputHelper?.WriteLine($"gateway served {started.Elapsed.TotalSeconds:0.0} s after it was started");
        GatewayUrl = new Uri(url, "/");
        var mcp = await McpCalls.ConnectAsync(url);
        _clients.Add(mcp);
        return mcp;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var client in _clients)
        {
            await client.DisposeAsync();
        }

        // SIGTERM first, so nodes stop their scripts the way a user's Ctrl+C would.
        foreach (var process in _processes)
        {
            try
            {
                await process.TerminateAsync();
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                // Already gone (a test killed it).
            }

            await process.DisposeAsync();
        }
    }

    private static string Port(int port) => port.ToString(CultureInfo.InvariantCulture);
}
