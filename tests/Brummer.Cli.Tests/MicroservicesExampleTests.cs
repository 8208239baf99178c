using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Brummer.Silo;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>
/// examples/microservices run as its README runs it: node "data" and node "web" reading the same brummer.yaml, and a
/// gateway, each its own OS process, clustered with dev:// (no store). The shop's services are the example's own
/// Python, .NET and Node programs, run in a copy of the example (the AppHost's test runs the example too, maybe at the
/// same time); only their ports are moved (through the nodes' environment) to free ones.
/// </summary>
public sealed class MicroservicesExampleTests(ITestOutputHelper output) : IDisposable
{
    private readonly StackDirectory _example = StackDirectory.CopyOf(
        Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../examples/microservices")));

    private string Example => _example.Path;

    /// <summary>Cold on a busy 2-core machine: two silos, a gateway and a dotnet build of orders all at once.</summary>
    private static readonly TimeSpan UpTimeout = TimeSpan.FromMinutes(5);

    /// <summary>The example's .env reads each port as <c>${NAME:-default}</c>: the nodes' environment moves them.</summary>
    private static readonly string[] PortVariables = ["DB_PORT", "ORDERS_PORT", "PRICING_PORT", "WEB_PORT"];

    [Fact]
    public async Task Microservices_TwoNodesAndGateway_StartInDependencyOrderAcrossNodes_ServeTheShop_RestartACrash_AndStopLeavingNothing()
    {
        RequireOnPath("python3");
        var ct = TestContext.Current.CancellationToken;
        var ports = PortVariables.ToDictionary(name => name, _ => FreePort.Next().ToString(CultureInfo.InvariantCulture));
        var (silo, siloGateway) = (FreePort.Next(), FreePort.Next());
        await using var cluster = new ProcessCluster($"dev://127.0.0.1:{silo}?gateway={siloGateway}");
        var clock = Stopwatch.StartNew();

        // As the README: node data first (it holds the dev membership), then node web, then a gateway.
        var data = await cluster.StartNodeAsync("data", Example, silo, siloGateway, ports);
        var web = await cluster.StartNodeAsync("web", Example, 0, 0, ports);
        await cluster.StartGatewayAsync();
        var gateway = cluster.GatewayUrl!.ToString().TrimEnd('/');
        using var api = new HttpClient { BaseAddress = cluster.GatewayUrl };

        async Task<Dictionary<string, JsonElement>> ProcessesAsync() =>
            JsonDocument.Parse(await api.GetStringAsync(new Uri("api/processes", UriKind.Relative), ct)).RootElement.GetProperty("processes")
                .EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!, p => p.Clone());

        // web waits on node web for orders and pricing on node data; brummer wait answers once it serves.
        await Eventually.UntilAsync(ProcessesAsync, p => p.ContainsKey("web"), "node web's process in the gateway's status", UpTimeout);
        var ready = await BrummerProcess.RunAsync("wait", "web", "--node", "web", "--for", "ready", "--timeout", "600", "--gateway", gateway);
        Assert.True(ready.ExitCode == 0, ready.Output);
        Assert.StartsWith("web on web: running", ready.Output, StringComparison.Ordinal);
        var up = await ProcessesAsync();
        output.WriteLine($"web ready {clock.Elapsed.TotalSeconds:0.0} s after node data was started; build-orders took {Seconds(up["build-orders"], "started_at", "exited_at"):0.0} s");

        // Placement and readiness: every service ready on its node, both one-shots succeeded.
        Assert.Equal(
            ["data/build-orders", "data/db", "data/migrate", "data/orders", "data/pricing", "web/web"],
            up.Values.Select(p => $"{p.GetProperty("node").GetString()}/{p.GetProperty("name").GetString()}").Order(StringComparer.Ordinal));
        foreach (var service in new[] { "db", "orders", "pricing", "web" })
        {
            Assert.Equal(("running", "ready"), (up[service].GetProperty("status").GetString(), up[service].GetProperty("health").GetString()));
        }

        foreach (var once in new[] { "migrate", "build-orders" })
        {
            Assert.Equal(("succeeded", 0), (up[once].GetProperty("status").GetString(), up[once].GetProperty("exit_code").GetInt32()));
        }

        // Order: migrate after db, orders after migrate and its build exited 0, web (other node) after orders and pricing.
        Assert.True(Time(up["db"], "started_at") <= Time(up["migrate"], "started_at"), "migrate started before db");
        Assert.True(Time(up["migrate"], "exited_at") <= Time(up["orders"], "started_at"), "orders started before migrate exited");
        Assert.True(Time(up["build-orders"], "exited_at") <= Time(up["orders"], "started_at"), "orders started before its build exited");
        Assert.True(Time(up["orders"], "started_at") <= Time(up["web"], "started_at"), "web started before orders");
        Assert.True(Time(up["pricing"], "started_at") <= Time(up["web"], "started_at"), "web started before pricing");
        Assert.Equal("migrate: schema v1, 2 orders seeded", up["migrate"].GetProperty("last_line").GetString());
        // Ready, not just started: the first thing web did was to call both across nodes, and both answered.
        var webLog = JsonDocument.Parse(await api.GetStringAsync(new Uri("api/logs/web/web?lines=1000", UriKind.Relative), ct)).RootElement.GetProperty("lines");
        Assert.Equal(
            "web: at start, orders /health answered 200 and pricing /health answered 200",
            webLog.EnumerateArray().MinBy(l => l.GetProperty("seq").GetInt64()).GetProperty("text").GetString());

        // The shop works end to end: web (Node) -> orders (.NET) -> db, priced by pricing (Python).
        using var shop = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{ports["WEB_PORT"]}/") };
        var seeded = await shop.GetFromJsonAsync<JsonElement>(new Uri("api/orders", UriKind.Relative), ct);
        Assert.Equal(["1 espresso x2 = 4.8", "2 croissant x3 = 5.7"], Lines(seeded));
        Assert.Equal((10.5m, "EUR"), (seeded.GetProperty("total").GetDecimal(), seeded.GetProperty("currency").GetString()));
        using var placed = await shop.PostAsJsonAsync(new Uri("api/orders", UriKind.Relative), new { sku = "latte", qty = 2 }, ct);
        Assert.Equal(HttpStatusCode.Created, placed.StatusCode);
        using var refused = await shop.PostAsJsonAsync(new Uri("api/orders", UriKind.Relative), new { sku = "tea", qty = 1 }, ct);
        Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
        var three = await shop.GetFromJsonAsync<JsonElement>(new Uri("api/orders", UriKind.Relative), ct);
        Assert.Equal(["1 espresso x2 = 4.8", "2 croissant x3 = 5.7", "3 latte x2 = 6.4"], Lines(three));
        Assert.Equal(16.9m, three.GetProperty("total").GetDecimal());

        // pricing crashes (exit 1): restarting with its backoff (2 s ± 20 %) in status, then running and ready again.
        var crashedPid = up["pricing"].GetProperty("pid").GetInt32();
        using (var pricing = new HttpClient())
        {
            Assert.Contains("crashing", await pricing.GetStringAsync(new Uri($"http://127.0.0.1:{ports["PRICING_PORT"]}/crash"), ct), StringComparison.Ordinal);
        }

        var restarting = await Eventually.UntilAsync(
            async () => (await ProcessesAsync())["pricing"],
            p => p.GetProperty("status").GetString() != "running" || p.GetProperty("pid").GetInt32() != crashedPid,
            "pricing to leave running after its crash");
        Assert.Equal("restarting", restarting.GetProperty("status").GetString());
        Assert.Equal(1, restarting.GetProperty("exit_code").GetInt32());
        Assert.InRange(Seconds(restarting, "exited_at", "next_restart_at"), 1.59, 3.5);
        var back = await BrummerProcess.RunAsync("wait", "pricing", "--node", "data", "--for", "ready", "--timeout", "120", "--gateway", gateway);
        Assert.True(back.ExitCode == 0, back.Output);
        var restarted = (await ProcessesAsync())["pricing"];
        Assert.Equal(1, restarted.GetProperty("restarts").GetInt32());
        Assert.Equal(("running", "ready"), (restarted.GetProperty("status").GetString(), restarted.GetProperty("health").GetString()));
        Assert.NotEqual(crashedPid, restarted.GetProperty("pid").GetInt32());
        Assert.True(Time(restarted, "started_at") >= Time(restarting, "next_restart_at").AddMilliseconds(-100), "pricing restarted before its next_restart_at");
        Assert.Equal(3, Lines(await shop.GetFromJsonAsync<JsonElement>(new Uri("api/orders", UriKind.Relative), ct)).Count);

        // Stopping both nodes (Ctrl+C) stops every process of the stack: no group, no process in the example, no port.
        var groups = (await ProcessesAsync()).Values.Where(p => p.GetProperty("status").GetString() == "running").Select(p => p.GetProperty("pid").GetInt32()).ToList();
        Assert.Equal(4, groups.Count);
        Assert.Equal(0, await web.TerminateAsync());
        Assert.Contains("Node 'web' left the cluster; no script it started is left running.", web.Output, StringComparison.Ordinal);
        // Node data carries on: web's follower said goodbye, so none of data's pushes (a heartbeat every 2 s) goes to it.
        var webLeft = DateTime.UtcNow;
        await Eventually.UntilAsync(
            async () => Time(JsonDocument.Parse(await api.GetStringAsync(new Uri("api/nodes", UriKind.Relative), ct)).RootElement.GetProperty("nodes")
                .EnumerateArray().Single(n => n.GetProperty("name").GetString() == "data"), "as_of"),
            asOf => asOf > webLeft.AddSeconds(5),
            "two heartbeats of node data after web left",
            TimeSpan.FromMinutes(1));
        Assert.DoesNotContain("No activation for client", data.Output, StringComparison.Ordinal);
        Assert.Equal(0, await data.TerminateAsync());
        Assert.Contains("Node 'data' left the cluster; no script it started is left running.", data.Output, StringComparison.Ordinal);
        Assert.All(groups, group => Assert.Empty(OsProcesses.GroupMembers(group)));
        Assert.Empty(OsProcesses.WorkingIn(Example));
        Assert.All(ports.Values, port => Assert.False(Listening(int.Parse(port, CultureInfo.InvariantCulture)), $"something still listens on {port}"));
    }

    public void Dispose() => _example.Dispose();

    private static void RequireOnPath(string program)
    {
        var path = Environment.GetEnvironmentVariable("PATH") ?? string.Empty;
        if (!path.Split(':', StringSplitOptions.RemoveEmptyEntries).Any(dir => File.Exists(Path.Combine(dir, program))))
        {
            ProcessCluster.RequireInstalled(program, ".ci/run");
        }
    }

    private static DateTime Time(JsonElement process, string field) =>
        DateTime.Parse(process.GetProperty(field).GetString()!, CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);

    private static double Seconds(JsonElement process, string from, string to) => (Time(process, to) - Time(process, from)).TotalSeconds;

    private static List<string> Lines(JsonElement summary) =>
        [.. summary.GetProperty("orders").EnumerateArray().Select(o =>
            FormattableString.Invariant($"{o.GetProperty("id").GetInt32()} {o.GetProperty("sku").GetString()} x{o.GetProperty("qty").GetInt32()} = {o.GetProperty("total").GetDecimal()}"))];

    private static bool Listening(int port)
    {
        using var client = new TcpClient();
        try
        {
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
