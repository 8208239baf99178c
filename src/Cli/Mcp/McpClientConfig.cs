using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Brummer.Cli.Mcp;

/// <summary>Where a user's files are, so tests can point them at a throwaway HOME and working directory.</summary>
internal sealed record UserPlaces(string Home, string ConfigHome, string WorkingDirectory)
{
    /// <summary>ConfigHome is $XDG_CONFIG_HOME (else ~/.config) on Linux, %APPDATA% on Windows, ~/Library/Application Support on macOS.</summary>
    public static UserPlaces Current()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        var config = OperatingSystem.IsMacOS()
            ? Path.Combine(home, "Library", "Application Support")
            : Environment.GetFolderPath(Environment.SpecialFolder.ApplicationData);
        return new UserPlaces(home, config, Directory.GetCurrentDirectory());
    }
}

/// <summary>One client's MCP config file and the entry that makes it use Brummer.</summary>
internal sealed record McpClientConfig(string Client, string Scope, string Path, string ServersKey, JsonObject Entry, string NextStep)
{
    public const string ServerName = "brummer";

    public static readonly IReadOnlyList<string> Clients = ["claude-code", "claude-desktop", "cursor", "vscode"];

    /// <summary>
    /// The config for <paramref name="client"/>. Clients that speak streamable HTTP get the gateway's URL (no extra
    /// process, and the gateway's notifications and resources reach them directly); Claude Desktop's file can only start
    /// a local program, so it gets <c>brummer mcp</c>, as does any client when <paramref name="stdio"/> is asked for.
    /// </summary>
    /// <param name="launch">The program and leading arguments that run this brummer (e.g. its tool shim, or dotnet brummer.dll).</param>
    public static McpClientConfig For(string client, string? scope, Uri gateway, Uri mcpEndpoint, bool stdio, IReadOnlyList<string> launch, UserPlaces places)
    {
        ArgumentNullException.ThrowIfNull(places);
        ArgumentNullException.ThrowIfNull(launch);
        var local = new JsonObject
        {
            ["command"] = launch[0],
            ["args"] = new JsonArray([.. launch.Skip(1).Concat(["mcp", "--gateway", gateway.AbsoluteUri.TrimEnd('/')]).Select(a => JsonValue.Create(a))]),
        };
        switch (client)
        {
            case "claude-desktop":
                if (scope is "project")
                {
                    throw new McpConfigRefusedException("Claude Desktop has one config per user, not per project: use --scope user (the default for it).");
                }

                return new(client, "user", System.IO.Path.Combine(places.ConfigHome, "Claude", "claude_desktop_config.json"), "mcpServers", local,
                    "Restart Claude Desktop: it starts `brummer mcp`, which forwards each call to the gateway (start one with `brummer up`).");
            case "claude-code":
                return (scope ?? "project") is "user"
                    ? new(client, "user", System.IO.Path.Combine(places.Home, ".claude.json"), "mcpServers", Typed(stdio, local, mcpEndpoint),
                        "Claude Code offers the server in every project (`/mcp` lists it).")
                    : new(client, "project", System.IO.Path.Combine(places.WorkingDirectory, ".mcp.json"), "mcpServers", Typed(stdio, local, mcpEndpoint),
                        "Start Claude Code in this directory and approve the project's server (`/mcp` lists it).");
            case "cursor":
                var cursorEntry = stdio ? local : new JsonObject { ["url"] = mcpEndpoint.AbsoluteUri };
                return (scope ?? "project") is "user"
                    ? new(client, "user", System.IO.Path.Combine(places.Home, ".cursor", "mcp.json"), "mcpServers", cursorEntry,
                        "Cursor lists the server under Settings > MCP.")
                    : new(client, "project", System.IO.Path.Combine(places.WorkingDirectory, ".cursor", "mcp.json"), "mcpServers", cursorEntry,
                        "Cursor lists the server under Settings > MCP when this directory is open.");
            case "vscode":
                return (scope ?? "project") is "user"
                    ? new(client, "user", System.IO.Path.Combine(places.ConfigHome, "Code", "User", "mcp.json"), "servers", Typed(stdio, local, mcpEndpoint),
                        "VS Code lists the server under `MCP: List Servers`.")
                    : new(client, "project", System.IO.Path.Combine(places.WorkingDirectory, ".vscode", "mcp.json"), "servers", Typed(stdio, local, mcpEndpoint),
                        "VS Code lists the server under `MCP: List Servers` when this folder is open.");
            default:
                throw new McpConfigRefusedException($"Unknown client '{client}': use one of {string.Join(", ", Clients)}.");
        }
    }

    /// <summary>Claude Code and VS Code name the transport in a "type" field.</summary>
    private static JsonObject Typed(bool stdio, JsonObject local, Uri mcpEndpoint) => stdio
        ? new JsonObject { ["type"] = "stdio", ["command"] = local["command"]!.DeepClone(), ["args"] = local["args"]!.DeepClone() }
        : new JsonObject { ["type"] = "http", ["url"] = mcpEndpoint.AbsoluteUri };
}

/// <summary>What installing did to the file.</summary>
internal enum McpConfigChange
{
    Created,
    Added,
    Updated,
    Unchanged,
}

/// <summary>A config file Brummer will not touch (not JSON, or not shaped as the client expects); the message says why.</summary>
internal sealed class McpConfigRefusedException(string message) : Exception(message);

/// <summary>Puts the Brummer entry into a client's JSON config, keeping every other key and server as it was.</summary>
internal static class McpConfigFile
{
    private static readonly JsonSerializerOptions Written = new()
    {
        WriteIndented = true,
        // A config file is not HTML: keep others' values readable ("a+b", not "a\u002Bb").
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };

    public static McpConfigChange Install(McpClientConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        var exists = File.Exists(config.Path);
        var text = exists ? File.ReadAllText(config.Path) : string.Empty;
        JsonObject root;
        if (string.IsNullOrWhiteSpace(text))
        {
            root = [];
        }
        else
        {
            try
            {
                root = JsonNode.Parse(text) as JsonObject
                    ?? throw new McpConfigRefusedException($"{config.Path} does not hold a JSON object; it was left unchanged. {ByHand(config)}");
            }
            catch (JsonException ex)
            {
                throw new McpConfigRefusedException($"{config.Path} is not valid JSON ({ex.Message}); it was left unchanged. Fix it, or {ByHand(config)}");
            }
        }

        if (root[config.ServersKey] is not { } servers)
        {
            servers = new JsonObject();
            root[config.ServersKey] = servers;
        }
        else if (servers is not JsonObject)
        {
            throw new McpConfigRefusedException($"\"{config.ServersKey}\" in {config.Path} is not an object; the file was left unchanged. {ByHand(config)}");
        }

        var existing = servers[McpClientConfig.ServerName];
        if (existing is not null && JsonNode.DeepEquals(existing, config.Entry))
        {
            return McpConfigChange.Unchanged;
        }

        servers.AsObject()[McpClientConfig.ServerName] = config.Entry.DeepClone();
        WriteReplacing(config.Path, root.ToJsonString(Written) + Environment.NewLine);
        return !exists ? McpConfigChange.Created : existing is null ? McpConfigChange.Added : McpConfigChange.Updated;
    }

    public static string Describe(JsonObject entry) => entry.ToJsonString(Written);

    private static string ByHand(McpClientConfig config) =>
        $"Add this under \"{config.ServersKey}\" by hand: \"{McpClientConfig.ServerName}\": {Describe(config.Entry)}";

    /// <summary>Writes beside the file and renames over it, so a reader never sees half a file; keeps its permissions.</summary>
    private static void WriteReplacing(string path, string content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var temporary = $"{path}.brummer-{Environment.ProcessId}.tmp";
        File.WriteAllText(temporary, content);
        if (!RuntimeInformation.IsOSPlatform(OSPlatform.Windows) && File.Exists(path))
        {
            File.SetUnixFileMode(temporary, File.GetUnixFileMode(path));
        }

        File.Move(temporary, path, overwrite: true);
    }
}
