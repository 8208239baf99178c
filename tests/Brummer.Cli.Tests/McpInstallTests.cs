using System.Text.Json.Nodes;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary><c>brummer mcp install</c> against a throwaway HOME, XDG_CONFIG_HOME and project directory.</summary>
public sealed class McpInstallTests : IDisposable
{
    private readonly string _root = Directory.CreateTempSubdirectory("brummer-mcp-install-").FullName;

    private string Home => Path.Combine(_root, "home");

    private string ConfigHome => Path.Combine(_root, "config");

    private string Project => Path.Combine(_root, "project");

    public McpInstallTests()
    {
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(ConfigHome);
        Directory.CreateDirectory(Project);
    }

    private Task<(int ExitCode, string Output)> InstallAsync(params string[] args) => BrummerProcess.RunInAsync(
        Project,
        new Dictionary<string, string> { ["HOME"] = Home, ["XDG_CONFIG_HOME"] = ConfigHome },
        ["mcp", "install", "--gateway", "http://127.0.0.1:7790", .. args]);

    private static JsonObject Read(string path) => JsonNode.Parse(File.ReadAllText(path))!.AsObject();

    [Fact]
    public async Task McpInstall_ClaudeCodeFreshProject_WritesHttpServerToMcpJson()
    {
        var (exitCode, output) = await InstallAsync("--client", "claude-code");

        var file = Path.Combine(Project, ".mcp.json");
        Assert.True(exitCode == 0, output);
        Assert.Contains(file, output, StringComparison.Ordinal);
        var entry = Read(file)["mcpServers"]!["brummer"]!;
        Assert.Equal("http", (string?)entry["type"]);
        Assert.Equal("http://127.0.0.1:7790/mcp", (string?)entry["url"]);
    }

    [Fact]
    public async Task McpInstall_CursorFileWithOtherServers_KeepsThemAndIsIdempotent()
    {
        var file = Path.Combine(Project, ".cursor", "mcp.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, """
            {
              "mcpServers": {
                "github": { "command": "npx", "args": ["-y", "@modelcontextprotocol/server-github"], "env": { "TOKEN": "a+b<c>" } }
              },
              "theme": "dark"
            }
            """);

        var first = await InstallAsync("--client", "cursor");
        var afterFirst = File.ReadAllText(file);
        var second = await InstallAsync("--client", "cursor");

        Assert.True(first.ExitCode == 0, first.Output);
        var config = Read(file);
        Assert.Equal("dark", (string?)config["theme"]);
        Assert.Equal("a+b<c>", (string?)config["mcpServers"]!["github"]!["env"]!["TOKEN"]);
        Assert.Equal("npx", (string?)config["mcpServers"]!["github"]!["command"]);
        Assert.Equal("http://127.0.0.1:7790/mcp", (string?)config["mcpServers"]!["brummer"]!["url"]);
        Assert.True(second.ExitCode == 0, second.Output);
        Assert.Contains("nothing changed", second.Output, StringComparison.Ordinal);
        Assert.Equal(afterFirst, File.ReadAllText(file));
    }

    [Fact]
    public async Task McpInstall_VsCodeFileNotValidJson_RefusesAndLeavesItAlone()
    {
        var file = Path.Combine(Project, ".vscode", "mcp.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        const string Broken = "{ \"servers\": { \"db\": { \"command\": \"db-mcp\" }, } ";
        File.WriteAllText(file, Broken);

        var (exitCode, output) = await InstallAsync("--client", "vscode");

        Assert.NotEqual(0, exitCode);
        Assert.Contains(file, output, StringComparison.Ordinal);
        Assert.Contains("not valid JSON", output, StringComparison.Ordinal);
        Assert.Equal(Broken, File.ReadAllText(file));
    }

    [Fact]
    public async Task McpInstall_VsCodeProject_WritesServersWithTypeHttp()
    {
        var (exitCode, output) = await InstallAsync("--client", "vscode");

        Assert.True(exitCode == 0, output);
        var entry = Read(Path.Combine(Project, ".vscode", "mcp.json"))["servers"]!["brummer"]!;
        Assert.Equal("http", (string?)entry["type"]);
        Assert.Equal("http://127.0.0.1:7790/mcp", (string?)entry["url"]);
    }

    [Fact]
    public async Task McpInstall_ClaudeDesktop_LaunchesBrummerMcpFromTheUsersConfig()
    {
        var file = Path.Combine(ConfigHome, "Claude", "claude_desktop_config.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        File.WriteAllText(file, """{ "globalShortcut": "Ctrl+Space", "mcpServers": { "memory": { "command": "npx" } } }""");

        var (exitCode, output) = await InstallAsync("--client", "claude-desktop");
        var project = await InstallAsync("--client", "claude-desktop", "--scope", "project");

        Assert.True(exitCode == 0, output);
        var config = Read(file);
        Assert.Equal("Ctrl+Space", (string?)config["globalShortcut"]);
        Assert.NotNull(config["mcpServers"]!["memory"]);
        var entry = config["mcpServers"]!["brummer"]!;
        Assert.Equal("dotnet", Path.GetFileNameWithoutExtension((string?)entry["command"]));
        Assert.Equal([BrummerProcess.Dll, "mcp", "--gateway", "http://127.0.0.1:7790"], entry["args"]!.AsArray().Select(a => (string?)a));
        Assert.NotEqual(0, project.ExitCode);
        Assert.Contains("--scope user", project.Output, StringComparison.Ordinal);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);
}
