using System.Globalization;
using System.Net;
using System.Text.Json;
using Brummer.Tests;
using ModelContextProtocol.Client;

namespace Brummer.Cli.Tests;

public sealed class UpCommandTests
{
    private static int FreePort() => Silo.FreePort.Next();

    [Fact]
    public async Task Up_AsOwnProcess_ServesMcp_AndOnSigtermLeavesNoChildBehind()
    {
        var grandchildPid = Path.Combine(Path.GetTempPath(), $"brummer-up-{Guid.NewGuid():n}.pid");
        using var stack = new StackDirectory(new Dictionary<string, string>
        {
            ["web"] = Dummy.Command("say:listening", "sleep"),
            ["tree"] = Dummy.Command("ignore-sigterm", $"child:{grandchildPid}", "sleep"),
        });
        var port = FreePort();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo", "--stop-timeout", "1");

        var mcpUrl = await brummer.McpUrlAsync();
        Assert.Equal(new Uri($"http://127.0.0.1:{port}/mcp"), mcpUrl);
        var pids = new List<int>();
        await using (var mcp = await McpCalls.ConnectAsync(mcpUrl))
        {
            foreach (var name in new[] { "web", "tree" })
            {
                var result = await mcp.CallToolAsync("scripts_run", new Dictionary<string, object?> { ["name"] = name }, cancellationToken: TestContext.Current.CancellationToken);
                Assert.True(result.IsError is not true);
                var content = JsonDocument.Parse(JsonSerializer.Serialize(result.StructuredContent)).RootElement;
                pids.Add(content.GetProperty("process").GetProperty("pid").GetInt32());
            }
        }

        pids.Add(Dummy.ReadPid(await Eventually.FileAsync(grandchildPid)));
        var descendants = pids.SelectMany(OsProcesses.GroupMembers).Distinct().ToList();
        Assert.All(pids, pid => Assert.True(OsProcesses.IsAlive(pid)));

        var exitCode = await brummer.TerminateAsync();

        Assert.Equal(0, exitCode);
        Assert.All(descendants.Concat(pids), pid => Assert.False(OsProcesses.IsAlive(pid), $"pid {pid} outlived brummer up"));
        Assert.Contains("no script it started is left running", brummer.Output, StringComparison.Ordinal);
        File.Delete(grandchildPid);
    }

    [Fact]
    public async Task Up_RunFromAProjectWithItsOwnAppSettings_ListensOnlyWhereItWasTold()
    {
        // A project's appsettings.json is the project's, not Brummer's: it must not add an endpoint (say on 0.0.0.0).
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("say:listening", "sleep") });
        var extra = FreePort();
        File.WriteAllText(
            Path.Combine(stack.Path, "appsettings.json"),
            JsonSerializer.Serialize(new { Kestrel = new { Endpoints = new { Extra = new { Url = $"http://127.0.0.1:{extra.ToString(CultureInfo.InvariantCulture)}" } } } }));
        var port = FreePort();
        await using var brummer = BrummerProcess.StartIn(stack.Path, "up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo");

        var mcpUrl = await brummer.McpUrlAsync();

        using var http = new HttpClient();
        using (var own = await http.GetAsync(new Uri(mcpUrl, "/healthz"), TestContext.Current.CancellationToken))
        {
            Assert.True(own.IsSuccessStatusCode);
        }

        using var probe = new System.Net.Sockets.TcpClient();
        await Assert.ThrowsAsync<System.Net.Sockets.SocketException>(async () => await probe.ConnectAsync(IPAddress.Loopback, extra, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Up_FirstRunForAUser_WritesNothingIntoTheirHome_AndWarnsOfNothing()
    {
        // ASP.NET Core's data protection, pulled in by AddAuthentication, made a first run write a key into
        // ~/.aspnet/DataProtection-Keys and warn that it was stored unencrypted; bearer tokens need no key ring.
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("say:listening", "sleep") });
        var home = Directory.CreateTempSubdirectory("brummer-home-");
        try
        {
            var port = FreePort();
            await using var brummer = BrummerProcess.Start(
                new Dictionary<string, string> { ["HOME"] = home.FullName },
                "up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo");
            await using (var mcp = await McpCalls.ConnectAsync(await brummer.McpUrlAsync()))
            {
                var result = await mcp.CallToolAsync("scripts_status", cancellationToken: TestContext.Current.CancellationToken);
                Assert.True(result.IsError is not true);
            }

            Assert.Equal(0, await brummer.TerminateAsync());
            Assert.False(Directory.Exists(Path.Combine(home.FullName, ".aspnet")), "brummer up wrote into ~/.aspnet");
            Assert.DoesNotContain("warn:", brummer.Output, StringComparison.Ordinal);
        }
        finally
        {
            home.Delete(recursive: true);
        }
    }

    [Fact]
    public async Task Up_MalformedPackageJson_FailsWithFileLineAndColumn()
    {
        using var stack = new StackDirectory(new Dictionary<string, string>(), "{ \"scripts\": { \"web\": } }");

        var (exitCode, output) = await BrummerProcess.RunAsync("up", "--dir", stack.Path, "--port", FreePort().ToString(CultureInfo.InvariantCulture));

        Assert.NotEqual(0, exitCode);
        Assert.Contains(Path.Combine(stack.Path, "package.json"), output, StringComparison.Ordinal);
        Assert.Contains("line 1, column 23", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("--silo-port")]
    [InlineData("--gateway-port")]
    public async Task Node_PortInUse_OneLineNamingTheOption_AndUsageExitCode_BeforeStartingAnything(string option)
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port.ToString(CultureInfo.InvariantCulture);
        var other = option == "--silo-port" ? "--gateway-port" : "--silo-port";

        var (exitCode, output) = await BrummerProcess.RunAsync(
            "node", "--name", "n", "--dir", stack.Path, "--cluster", $"dev://127.0.0.1:{port}", option, port, other, "0");

        Assert.Equal(2, exitCode);
        Assert.Equal($"brummer: port {port} ({option}) on 127.0.0.1 is already in use (another node on this machine?). Pass {option} to use another.", output);
    }

    [Fact]
    public async Task Up_PortInUse_OneLineAndUsageExitCode_BeforeStartingAnything()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });
        using var squatter = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        squatter.Start();
        var port = ((System.Net.IPEndPoint)squatter.LocalEndpoint).Port;
        var clock = System.Diagnostics.Stopwatch.StartNew();

        var (exitCode, output) = await BrummerProcess.RunAsync("up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture));

        // Only reported, never asserted: a busy 2-core machine decides the figure. No host started is what makes it quick.
        TestContext.Current.TestOutputHelper?.WriteLine($"brummer up on a busy port exited after {clock.Elapsed.TotalSeconds:0.0} s");
        Assert.Equal(2, exitCode);
        Assert.Equal($"brummer: port {port} on 127.0.0.1 is already in use (another brummer up?). Pass --port to use another.", output);
    }

    [Fact]
    public async Task ClientVerbs_AgainstRunningGateway_PrintTablesJsonAndClearErrors()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("say:hello from web", "sleep") });
        var port = FreePort();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo");
        await brummer.McpUrlAsync();
        var gateway = $"http://127.0.0.1:{port}";

        var run = await BrummerProcess.RunAsync("run", "web", "--gateway", gateway);
        var status = await BrummerProcess.RunAsync("status", "--gateway", gateway);
        var json = await BrummerProcess.RunAsync("status", "--json", "--gateway", gateway);
        var unknown = await BrummerProcess.RunAsync("run", "deploy", "--gateway", gateway);
        var stop = await BrummerProcess.RunAsync("stop", "web", "--gateway", gateway);

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("web on solo: running (pid ", run.Output, StringComparison.Ordinal);
        Assert.Equal(0, status.ExitCode);
        Assert.Matches(@"NODE\s+NAME\s+STATUS", status.Output);
        Assert.Matches(@"solo\s+web\s+running", status.Output);
        Assert.Equal("running", JsonDocument.Parse(json.Output).RootElement.GetProperty("processes")[0].GetProperty("status").GetString());
        Assert.Equal(1, unknown.ExitCode);
        Assert.Equal("brummer: Unknown script 'deploy' on node 'solo'. Scripts: web.", unknown.Output);
        Assert.Equal(0, stop.ExitCode);
        Assert.Contains("web on solo: stopped", stop.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task ClientVerbs_NoGateway_FailWithOneLine()
    {
        var (exitCode, output) = await BrummerProcess.RunAsync("status", "--gateway", $"http://127.0.0.1:{FreePort()}");

        Assert.Equal(1, exitCode);
        Assert.StartsWith("brummer: cannot reach the gateway at", output, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', output);
    }

    [Fact]
    public async Task Help_ExplainsTheVerbs()
    {
        var (exitCode, output) = await BrummerProcess.RunAsync("--help");

        Assert.Equal(0, exitCode);
        foreach (var verb in new[] { "up", "status", "run", "stop", "restart", "nodes", "scripts" })
        {
            Assert.Matches($@"(?m)^\s+{verb}\b", output);
        }
    }
}
