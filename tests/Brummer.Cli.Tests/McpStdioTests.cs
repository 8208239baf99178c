using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Brummer.Tests;
using ModelContextProtocol;
using ModelContextProtocol.Client;

namespace Brummer.Cli.Tests;

/// <summary><c>brummer mcp</c>: the gateway's tools over stdio, as a stdio-only client (Claude Desktop) starts it.</summary>
public sealed class McpStdioTests
{
    private static string Port() => Silo.FreePort.Next().ToString(CultureInfo.InvariantCulture);

    /// <summary>
    /// A free port below the kernel's ephemeral range (32768 and up by default), for a test that binds it, lets it go
    /// and binds it again: a port from that range can be handed meanwhile to any outgoing connection or another test's
    /// <see cref="Silo.FreePort"/> (CI saw "address already in use" on the second bind).
    /// </summary>
    private static string PortToBindTwice()
    {
        for (var attempt = 1; ; attempt++)
        {
            var port = Random.Shared.Next(20_000, 32_000);
            try
            {
                using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, port);
                listener.Start();
                return port.ToString(CultureInfo.InvariantCulture);
            }
            catch (System.Net.Sockets.SocketException) when (attempt < 100)
            {
                // Taken: try another.
            }
        }
    }

    /// <summary>Starts <c>dotnet brummer.dll mcp --gateway URL</c> through the official client's stdio transport.</summary>
    private static Task<McpClient> ConnectStdioAsync(string gateway, params string[] extra) => McpClient.CreateAsync(
        new StdioClientTransport(new StdioClientTransportOptions
        {
            Name = "brummer-stdio",
            Command = "dotnet",
            Arguments = [BrummerProcess.Dll, "mcp", "--gateway", gateway, .. extra],
            // Nothing from the developer's shell may point the server elsewhere or switch tokens on.
            EnvironmentVariables = new Dictionary<string, string?> { ["BRUMMER_GATEWAY"] = null, ["BRUMMER_TOKEN"] = null },
            ShutdownTimeout = TimeSpan.FromSeconds(30),
        }),
        new McpClientOptions { InitializationTimeout = TimeSpan.FromMinutes(2) },
        cancellationToken: TestContext.Current.CancellationToken);

    [Fact]
    public async Task McpStdio_AgainstRunningGateway_ListsSameToolsAndForwardsCallsAndErrors()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("say:hello from web", "sleep") });
        var port = Port();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--node", "solo");
        var mcpUrl = await brummer.McpUrlAsync();
        await using var http = await McpCalls.ConnectAsync(mcpUrl);
        await using var stdio = await ConnectStdioAsync($"http://127.0.0.1:{port}");

        var viaHttp = await http.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var viaStdio = await stdio.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);
        var run = await stdio.CallAsync("scripts_run", new { name = "web" });
        var status = await stdio.CallAsync("scripts_status", new { name = "web" });
        var unknown = await stdio.CallErrorAsync("scripts_run", new { name = "deploy" });
        var unknownViaHttp = await http.CallErrorAsync("scripts_run", new { name = "deploy" });

        Assert.NotEmpty(viaHttp);
        Assert.Equal(
            viaHttp.Select(t => JsonSerializer.Serialize(t.ProtocolTool)).Order(StringComparer.Ordinal),
            viaStdio.Select(t => JsonSerializer.Serialize(t.ProtocolTool)).Order(StringComparer.Ordinal));
        var pid = run.GetProperty("process").GetProperty("pid").GetInt32();
        Assert.True(OsProcesses.IsAlive(pid), $"scripts_run through stdio did not start web (pid {pid})");
        Assert.Contains(
            status.GetProperty("processes").EnumerateArray(),
            p => p.GetProperty("name").GetString() == "web" && p.GetProperty("pid").GetInt32() == pid);
        Assert.Equal(unknownViaHttp, unknown);
        Assert.Contains("deploy", unknown, StringComparison.Ordinal);

        // Not a tool error but a protocol one: it comes back as the same JSON-RPC error.
        var noTool = await Assert.ThrowsAsync<McpProtocolException>(async () => await stdio.CallRawAsync("no_such_tool"));
        var noToolViaHttp = await Assert.ThrowsAsync<McpProtocolException>(async () => await http.CallRawAsync("no_such_tool"));
        Assert.Equal(noToolViaHttp.ErrorCode, noTool.ErrorCode);
        Assert.Equal(noToolViaHttp.Message, noTool.Message);

        // A long call's progress reaches the stdio caller while it waits.
        var notes = new ConcurrentQueue<ProgressNotificationValue>();
        var waiting = stdio.CallToolAsync(
            "wait_for",
            new Dictionary<string, object?> { ["name"] = "web", ["condition"] = "exited", ["timeout_seconds"] = 300 },
            new Progress(notes.Enqueue),
            cancellationToken: TestContext.Current.CancellationToken).AsTask();
        await Eventually.UntilAsync(() => !notes.IsEmpty, "the wait's first progress note through brummer mcp", TimeSpan.FromMinutes(2));
        await stdio.CallAsync("scripts_stop", new { name = "web" });
        var exited = McpCalls.Structured(await waiting);

        Assert.Equal("stopped", exited.GetProperty("process").GetProperty("status").GetString());
        Assert.Contains("has not exited yet", notes.First().Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task McpStdio_GatewayWithTokens_ForwardsTheTokenAndTheRoleDecides()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });
        var file = stack.File("tokens.json");
        var read = await CreateTokenAsync(file, "viewer", "read");
        var port = Port();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--tokens", file);
        var mcpUrl = await brummer.McpUrlAsync();
        var gateway = $"http://127.0.0.1:{port}";
        await using var anonymous = await ConnectStdioAsync(gateway);
        await using var viewer = await ConnectStdioAsync(gateway, "--token", read);
        await using var viewerViaHttp = await McpCalls.ConnectAsync(mcpUrl, read);

        var refused = await anonymous.CallErrorAsync("scripts_status");
        var status = await viewer.CallAsync("scripts_status");
        var run = await viewer.CallErrorAsync("scripts_run", new { name = "web" });
        var runViaHttp = await viewerViaHttp.CallErrorAsync("scripts_run", new { name = "web" });

        Assert.Contains("refused this server's token", refused, StringComparison.Ordinal);
        Assert.Contains("BRUMMER_TOKEN", refused, StringComparison.Ordinal);
        Assert.True(status.TryGetProperty("processes", out _), status.ToString());
        Assert.Equal(runViaHttp, run);
    }

    private static async Task<string> CreateTokenAsync(string file, string name, string role)
    {
        var (exitCode, output) = await BrummerProcess.RunAsync("token", "create", name, "--role", role, "--tokens", file);
        Assert.Equal(0, exitCode);
        return output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("brm_", StringComparison.Ordinal));
    }

    /// <summary>Reports on the calling thread (System.Progress would post to the thread pool, after the answer).</summary>
    private sealed class Progress(Action<ProgressNotificationValue> report) : IProgress<ProgressNotificationValue>
    {
        public void Report(ProgressNotificationValue value) => report(value);
    }

    [Fact]
    public async Task McpStdio_NoGatewayYet_SaysHowToStartOne_ThenReconnectsOnceItRuns()
    {
        var port = PortToBindTwice();
        var gateway = $"http://127.0.0.1:{port}";
        await using var stdio = await ConnectStdioAsync(gateway);

        var down = await stdio.CallErrorAsync("scripts_status");
        var listing = await Assert.ThrowsAsync<McpProtocolException>(async () => await stdio.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken));

        Assert.Contains($"{gateway}/mcp", down, StringComparison.Ordinal);
        Assert.Contains("brummer up", down, StringComparison.Ordinal);
        Assert.Contains("brummer up", listing.Message, StringComparison.Ordinal);

        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--node", "solo");
        await brummer.McpUrlAsync();

        var status = await stdio.CallAsync("scripts_status");
        var tools = await stdio.ListToolsAsync(cancellationToken: TestContext.Current.CancellationToken);

        Assert.True(status.TryGetProperty("processes", out _), $"scripts_status after the gateway started: {status}");
        Assert.Contains(tools, t => t.Name == "scripts_run");
    }

    [Fact]
    public async Task McpStdio_GatewayRestarted_NextCallReachesTheNewOneWithoutAnError()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });
        var port = PortToBindTwice();
        await using var stdio = await ConnectStdioAsync($"http://127.0.0.1:{port}");
        await using (var first = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--node", "first"))
        {
            await first.McpUrlAsync();
            await stdio.CallAsync("scripts_status");
            Assert.Equal(0, await first.TerminateAsync());
        }

        await using var second = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--node", "second");
        await second.McpUrlAsync();

        // The old session is unknown to the new gateway: the call must still succeed, on a new session.
        var run = await stdio.CallAsync("scripts_run", new { name = "web" });

        Assert.Equal("second", run.GetProperty("process").GetProperty("node").GetString());
    }

    [Fact]
    public async Task McpStdio_StdinClosed_ExitsWithNothingOnStdout()
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in new[] { BrummerProcess.Dll, "mcp", "--gateway", $"http://127.0.0.1:{Port()}" })
        {
            start.ArgumentList.Add(arg);
        }

        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        try
        {
            process.StandardInput.Close();
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);

            Assert.Equal(0, process.ExitCode);
            Assert.Equal(string.Empty, await stdout);
            Assert.Equal(string.Empty, await stderr);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }
        }
    }
}
