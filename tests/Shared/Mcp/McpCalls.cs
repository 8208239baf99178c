using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Brummer.Tests;

/// <summary>Tool calls the way an agent makes them, through the official C# MCP client; results as JSON.</summary>
public static class McpCalls
{
    /// <summary>
    /// Connects with the initialize handshake of 2025-11-25. Left to itself, the 2.4.0 client probes 2026-07-28 first and,
    /// when the probe fails (a server still warming up on a loaded machine), sometimes falls back with a stale
    /// MCP-Protocol-Version header that the server rightly rejects: an SDK fault, not ours, that made CI flaky once.
    /// </summary>
    public static Task<McpClient> ConnectAsync(Uri mcp, string? token = null) => McpClient.CreateAsync(
        new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = mcp,
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = token is null ? null : new Dictionary<string, string> { ["Authorization"] = $"Bearer {token}" },
        }),
        new McpClientOptions { ProtocolVersion = "2025-11-25" },
        cancellationToken: TestContext.Current.CancellationToken);

    /// <summary>Calls a tool and returns its structured content; fails the test if the tool reported an error.</summary>
    public static async Task<JsonElement> CallAsync(this McpClient mcp, string tool, object? arguments = null)
    {
        var result = await mcp.CallRawAsync(tool, arguments);
        Assert.True(result.IsError is not true, $"{tool} failed: {Text(result)}");
        return Structured(result);
    }

    /// <summary>Calls a tool that must fail and returns the error text the agent sees.</summary>
    public static async Task<string> CallErrorAsync(this McpClient mcp, string tool, object? arguments = null)
    {
        var result = await mcp.CallRawAsync(tool, arguments);
        Assert.True(result.IsError, $"{tool} was expected to fail but returned {Text(result)}");
        return Text(result);
    }

    public static Task<CallToolResult> CallRawAsync(this McpClient mcp, string tool, object? arguments = null)
    {
        ArgumentNullException.ThrowIfNull(mcp);
        return mcp.CallToolAsync(tool, ToDictionary(arguments), cancellationToken: TestContext.Current.CancellationToken).AsTask();
    }

    public static JsonElement Structured(CallToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        Assert.NotNull(result.StructuredContent);
        return JsonDocument.Parse(JsonSerializer.Serialize(result.StructuredContent)).RootElement.Clone();
    }

    public static string Text(CallToolResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));
    }

    private static Dictionary<string, object?>? ToDictionary(object? arguments) => arguments switch
    {
        null => null,
        Dictionary<string, object?> d => d,
        _ => JsonSerializer.Deserialize<Dictionary<string, object?>>(JsonSerializer.Serialize(arguments)),
    };
}
