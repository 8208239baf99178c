using System.Net;
using System.Text.Json;
using Brummer.Cli;
using Brummer.Tests;
using Microsoft.AspNetCore.Builder;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Brummer.Gateway.Tests;

/// <summary>
/// A real <c>brummer up</c> (silo + gateway in-process, Kestrel on a free loopback port) over a stack of dummy
/// package.json scripts (started as npm would, without npm), with the official MCP C# client connected over streamable HTTP.
/// </summary>
public sealed class ClusterFixture : IAsyncLifetime
{
    public const string Node = "node-a";
    public const int ChurnScripts = 20;

    private WebApplication? _app;
    private McpClient? _mcp;

    public StackDirectory Stack { get; } = new(Scripts());

    public Uri BaseUrl { get; private set; } = null!;

    public McpClient Mcp => _mcp!;

    public HttpClient Http { get; private set; } = null!;

    public static string GrandchildPidFile { get; } = Path.Combine(Path.GetTempPath(), $"brummer-gw-{Guid.NewGuid():n}.pid");

    private static Dictionary<string, string> Scripts()
    {
        var scripts = new Dictionary<string, string>
        {
            ["web"] = Dummy.Command("say:listening on http://localhost:3000", "sleep"),
            ["tree"] = Dummy.Command("ignore-sigterm", $"child:{GrandchildPidFile}", "say:ready", "sleep"),
            ["ok"] = Dummy.Command("say:built", "exit:0"),
            ["bad"] = Dummy.Command("err:Error: boom", "exit:3"),
        };
        for (var i = 0; i < ChurnScripts; i++)
        {
            scripts[$"churn{i:00}"] = Dummy.Command("sleep");
        }

        return scripts;
    }

    public async ValueTask InitializeAsync()
    {
        _app = EmbeddedCluster.Build(new UpOptions(Stack.Path, Node, 0, IPAddress.Loopback, TimeSpan.FromSeconds(1)));
        BaseUrl = await EmbeddedCluster.StartAsync(_app, CancellationToken.None);
        Http = new HttpClient { BaseAddress = BaseUrl };
        _mcp = await McpCalls.ConnectAsync(new Uri(BaseUrl, "/mcp"));
    }

    public async ValueTask DisposeAsync()
    {
        if (_mcp is not null)
        {
            await _mcp.DisposeAsync();
        }

        Http?.Dispose();
        if (_app is not null)
        {
            await _app.StopAsync();
            await _app.DisposeAsync();
        }

        Stack.Dispose();
        File.Delete(GrandchildPidFile);
    }

    /// <summary>Calls a tool and returns its structured content; fails the test if the tool reported an error.</summary>
    public Task<JsonElement> CallAsync(string tool, object? arguments = null) => Mcp.CallAsync(tool, arguments);

    /// <summary>Calls a tool that must fail and returns the error text the agent sees.</summary>
    public Task<string> CallErrorAsync(string tool, object? arguments = null) => Mcp.CallErrorAsync(tool, arguments);

    public Task<CallToolResult> CallRawAsync(string tool, object? arguments = null) => Mcp.CallRawAsync(tool, arguments);

    public static JsonElement Structured(CallToolResult result) => McpCalls.Structured(result);

    public static string Text(CallToolResult result) => McpCalls.Text(result);
}

[CollectionDefinition(Name)]
public sealed class ClusterTests : ICollectionFixture<ClusterFixture>
{
    public const string Name = "cluster";
}
