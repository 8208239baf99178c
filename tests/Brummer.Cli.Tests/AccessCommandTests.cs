using System.Globalization;
using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>Tokens and exposure as a user meets them on the command line: token verbs, up's refusals, client verbs with a token.</summary>
public sealed class AccessCommandTests
{
    private static string Port() => Silo.FreePort.Next().ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Token_CreateListRevoke_ShowsTheTokenOnceAndStoresOnlyItsHash()
    {
        using var home = new StackDirectory(new Dictionary<string, string>());
        var file = home.File("tokens.json");

        var (created, output) = await BrummerProcess.RunAsync("token", "create", "alice", "--role", "operate", "--tokens", file);
        Assert.Equal(0, created);
        var token = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("brm_", StringComparison.Ordinal));
        Assert.DoesNotContain(token, File.ReadAllText(file), StringComparison.Ordinal);

        var (duplicate, duplicateOutput) = await BrummerProcess.RunAsync("token", "create", "alice", "--role", "read", "--tokens", file);
        Assert.Equal(2, duplicate);
        Assert.Contains("already exists", duplicateOutput, StringComparison.Ordinal);

        var (listed, list) = await BrummerProcess.RunAsync("token", "list", "--tokens", file);
        Assert.Equal(0, listed);
        Assert.Contains("alice", list, StringComparison.Ordinal);
        Assert.Contains("operate", list, StringComparison.Ordinal);
        Assert.DoesNotContain(token, list, StringComparison.Ordinal);

        Assert.Equal(0, (await BrummerProcess.RunAsync("token", "revoke", "alice", "--tokens", file)).ExitCode);
        var (again, againOutput) = await BrummerProcess.RunAsync("token", "revoke", "alice", "--tokens", file);
        Assert.Equal(2, again);
        Assert.Contains("No token named 'alice'", againOutput, StringComparison.Ordinal);
    }

    /// <summary>What a setup script run at every start relies on (the tokens service of docker-compose.yml).</summary>
    [Fact]
    public async Task Token_CreateIfAbsent_WhenTheNameExists_ChangesNothingShowsNothingAndSucceeds()
    {
        using var home = new StackDirectory(new Dictionary<string, string>());
        var file = home.File("tokens.json");
        string[] create = ["token", "create", "compose", "--role", "admin", "--tokens", file, "--if-absent"];

        var (first, firstOutput) = await BrummerProcess.RunAsync(create);
        Assert.Equal(0, first);
        Assert.Single(Tokens(firstOutput));
        var written = File.ReadAllBytes(file);

        var (again, againOutput) = await BrummerProcess.RunAsync(create);
        Assert.Equal(0, again);
        Assert.Empty(Tokens(againOutput));
        Assert.Single(againOutput.Split('\n'));
        Assert.Contains($"Token 'compose' (admin) already exists in {file}", againOutput, StringComparison.Ordinal);
        Assert.Contains("not shown again", againOutput, StringComparison.Ordinal);
        Assert.Equal(written, File.ReadAllBytes(file));

        // Asked for another role: still nothing changes, and the note says which role the token really has.
        var (otherRole, otherRoleOutput) = await BrummerProcess.RunAsync("token", "create", "compose", "--role", "read", "--tokens", file, "--if-absent");
        Assert.Equal(0, otherRole);
        Assert.Contains("(admin, not read as asked)", otherRoleOutput, StringComparison.Ordinal);
        Assert.Equal(written, File.ReadAllBytes(file));

        // A name the file does not have yet is created as without the option.
        var (added, addedOutput) = await BrummerProcess.RunAsync("token", "create", "ci", "--role", "read", "--tokens", file, "--if-absent");
        Assert.Equal(0, added);
        Assert.Single(Tokens(addedOutput));
        var (_, list) = await BrummerProcess.RunAsync("token", "list", "--tokens", file);
        Assert.Contains("2 token(s)", list, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_CreateHelp_OffersIfAbsent_AndSaysADuplicateIsOtherwiseAnError()
    {
        var (exitCode, help) = await BrummerProcess.RunAsync("token", "create", "--help");

        Assert.Equal(0, exitCode);
        Assert.Contains("--if-absent", help, StringComparison.Ordinal);
        Assert.Contains("A NAME already in the file is an error, unless --if-absent", help, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Token_CreateWithABadRole_IsAUsageErrorThatWritesNothing()
    {
        using var home = new StackDirectory(new Dictionary<string, string>());
        var file = home.File("tokens.json");

        var (exitCode, output) = await BrummerProcess.RunAsync("token", "create", "bob", "--role", "root", "--tokens", file);

        Assert.NotEqual(0, exitCode);
        Assert.Contains("root", output, StringComparison.Ordinal);
        Assert.False(File.Exists(file));
    }

    [Fact]
    public async Task Up_NonLoopbackBindWithoutTokens_RefusesToStart()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });

        var (exitCode, output) = await BrummerProcess.RunAsync("up", "--dir", stack.Path, "--port", Port(), "--bind", "0.0.0.0");

        Assert.Equal(2, exitCode);
        Assert.Contains("--bind 0.0.0.0 would let anyone on the network run and stop your scripts", output, StringComparison.Ordinal);
        Assert.Contains("--insecure", output, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Up_InsecureOnAllInterfaces_WarnsAndPrintsTheRealAddress()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });
        var port = Port();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--bind", "0.0.0.0", "--insecure");

        await brummer.McpUrlAsync();
        await brummer.WaitForOutputAsync("WARNING: listening on 0.0.0.0 WITHOUT authentication");
        await brummer.WaitForOutputAsync($"Listening on 0.0.0.0:{port} (ALL interfaces)");
        await brummer.WaitForOutputAsync("Auth: off");
    }

    [Fact]
    public async Task Up_WithATokenFile_ClientVerbsNeedAToken_AndTheRoleDecides()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["quick"] = Dummy.Command("say:done", "exit:0") });
        var file = stack.File("tokens.json");
        var operate = await CreateAsync(file, "ops", "operate");
        var read = await CreateAsync(file, "viewer", "read");
        var port = Port();
        await using var brummer = BrummerProcess.Start("up", "--dir", stack.Path, "--port", port, "--tokens", file);
        await brummer.McpUrlAsync();
        await brummer.WaitForOutputAsync($"Auth: on, 2 token(s) from {file}");
        var gateway = $"http://127.0.0.1:{port}";

        var (anonymous, anonymousOutput) = await BrummerProcess.RunAsync("status", "--gateway", gateway);
        Assert.Equal(1, anonymous);
        Assert.Contains("requires a token", anonymousOutput, StringComparison.Ordinal);

        var (viewer, viewerOutput) = await BrummerProcess.RunAsync("run", "quick", "--gateway", gateway, "--token", read);
        Assert.Equal(1, viewer);
        Assert.Contains("needs the operate role", viewerOutput, StringComparison.Ordinal);

        var environment = new Dictionary<string, string> { ["BRUMMER_TOKEN"] = operate, ["BRUMMER_GATEWAY"] = gateway };
        var (ran, ranOutput) = await BrummerProcess.RunAsync(environment, "run", "quick", "--json");
        Assert.Equal(0, ran);
        Assert.Equal("quick", JsonDocument.Parse(ranOutput).RootElement.GetProperty("process").GetProperty("name").GetString());
    }

    [Fact]
    public async Task Up_TokenFileNamedButMissing_FailsWithHowToCreateOne()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("sleep") });

        var (exitCode, output) = await BrummerProcess.RunAsync("up", "--dir", stack.Path, "--port", Port(), "--tokens", stack.File("nope.json"));

        Assert.Equal(2, exitCode);
        Assert.Contains("does not exist", output, StringComparison.Ordinal);
        Assert.Contains("brummer token create", output, StringComparison.Ordinal);
    }

    private static List<string> Tokens(string output) =>
        output.Split('\n').Select(l => l.Trim()).Where(l => l.StartsWith("brm_", StringComparison.Ordinal)).ToList();

    private static async Task<string> CreateAsync(string file, string name, string role)
    {
        var (exitCode, output) = await BrummerProcess.RunAsync("token", "create", name, "--role", role, "--tokens", file);
        Assert.Equal(0, exitCode);
        return output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("brm_", StringComparison.Ordinal));
    }
}
