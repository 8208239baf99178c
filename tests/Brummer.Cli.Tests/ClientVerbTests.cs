using System.Diagnostics;
using System.Globalization;
using System.Text;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>
/// One <c>brummer up</c> that requires a token, with a dev server that says where it listens and a package.json whose
/// package manager (pnpm) is not installed; the client verbs reach it with BRUMMER_GATEWAY and BRUMMER_TOKEN only.
/// </summary>
public sealed class TokenGatewayFixture : IAsyncLifetime
{
    private readonly StackDirectory _stack = StackDirectory.WithFiles(
        ("brummer.yaml", $"""
            processes:
              web:
                command: {Quoted(Dummy.Command("say:  ➜  Local:   http://localhost:5173/", "sleep"))}
              db:
                command: {Quoted(Dummy.Command($"wait-file:{DbMayStart}", "say:database system is ready", "sleep"))}
                autostart: false
                readiness_probe:
                  log:
                    pattern: 'system is ready'
            """),
        ("package.json", """{ "name": "app", "private": true, "packageManager": "pnpm@9.0.0", "scripts": { "build": "tsc" } }"""));

    /// <summary>What brummer up finds on PATH: dotnet and setsid, and no pnpm even on a machine that has it.</summary>
    private readonly string _path = Directory.CreateTempSubdirectory("brummer-path-").FullName;

    private BrummerProcess? _brummer;

    /// <summary>db prints that it is ready once this file exists.</summary>
    public static string DbMayStart { get; } = Path.Combine(Path.GetTempPath(), $"brummer-db-{Guid.NewGuid():n}");

    public string Gateway { get; private set; } = string.Empty;

    public string Token { get; private set; } = string.Empty;

    /// <summary>What a user's shell holds after `export BRUMMER_GATEWAY=... BRUMMER_TOKEN=...`.</summary>
    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["BRUMMER_GATEWAY"] = Gateway, ["BRUMMER_TOKEN"] = Token };

    public async ValueTask InitializeAsync()
    {
        var tokens = _stack.File("tokens.json");
        var (created, output) = await BrummerProcess.RunAsync("token", "create", "dev", "--role", "operate", "--tokens", tokens);
        Assert.True(created == 0, output);
        Token = output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("brm_", StringComparison.Ordinal));
        var port = Silo.FreePort.Next().ToString(CultureInfo.InvariantCulture);
        foreach (var tool in new[] { "dotnet", "setsid" })
        {
            var found = (System.Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(':').Select(d => Path.Combine(d, tool)).First(File.Exists);
            File.CreateSymbolicLink(Path.Combine(_path, tool), found);
        }

        _brummer = BrummerProcess.Start(new Dictionary<string, string> { ["PATH"] = _path }, "up", "--dir", _stack.Path, "--port", port, "--node", "solo", "--tokens", tokens);
        await _brummer.McpUrlAsync();
        Gateway = $"http://127.0.0.1:{port}";
        var run = await BrummerProcess.RunAsync(Environment, "run", "web");
        Assert.True(run.ExitCode == 0, run.Output);
        await Eventually.UntilAsync(
            () => BrummerProcess.RunAsync(Environment, "urls"),
            r => r.Output.Contains("http://localhost:5173/", StringComparison.Ordinal),
            "web's URL to be detected");
    }

    public async ValueTask DisposeAsync()
    {
        if (_brummer is not null)
        {
            await _brummer.TerminateAsync();
            await _brummer.DisposeAsync();
        }

        _stack.Dispose();
        Directory.Delete(_path, recursive: true);
        File.Delete(DbMayStart);
    }

    private static string Quoted(string text) => $"'{text.Replace("'", "''", StringComparison.Ordinal)}'";
}

public sealed class ClientVerbTests(TokenGatewayFixture gateway) : IClassFixture<TokenGatewayFixture>
{
    [Fact]
    public async Task Run_CommandNotInstalled_ExitsOneWithTheReason()
    {
        var (exitCode, output) = await BrummerProcess.RunAsync(gateway.Environment, "run", "build");

        Assert.Equal(1, exitCode);
        Assert.Equal("brummer: build on solo: failed: 'pnpm' was not found on PATH.", output);
    }

    [Fact]
    public async Task Run_UnknownName_ExitsOneNamingTheScripts()
    {
        var (exitCode, output) = await BrummerProcess.RunAsync(gateway.Environment, "run", "deploy");

        Assert.Equal(1, exitCode);
        Assert.Equal("brummer: Unknown script 'deploy' on node 'solo'. Scripts: build, db, web.", output);
    }

    [Fact]
    public async Task RunAndRestartWaitReady_ReturnOnceTheReadinessProbePasses_NotWhenTheProcessStarts()
    {
        var early = await BrummerProcess.RunAsync(gateway.Environment, "run", "db", "--wait", "ready", "--timeout", "1");
        await File.WriteAllTextAsync(TokenGatewayFixture.DbMayStart, "go", TestContext.Current.CancellationToken);
        var ready = await BrummerProcess.RunAsync(gateway.Environment, "run", "db", "--wait", "ready", "--timeout", "120");
        var status = await BrummerProcess.RunAsync(gateway.Environment, "status", "--name", "db");
        var restarted = await BrummerProcess.RunAsync(gateway.Environment, "restart", "db", "--wait", "ready", "--timeout", "120", "--json");

        Assert.Equal(1, early.ExitCode);
        Assert.StartsWith("brummer: 'db' on node 'solo'", early.Output, StringComparison.Ordinal);
        Assert.True(ready.ExitCode == 0, ready.Output);
        Assert.Matches(@"solo\s+db\s+running\s+ready", status.Output);
        Assert.True(restarted.ExitCode == 0, restarted.Output);
        var process = System.Text.Json.JsonDocument.Parse(restarted.Output).RootElement.GetProperty("process");
        Assert.Equal(("running", "ready"), (process.GetProperty("status").GetString(), process.GetProperty("health").GetString()));
    }

    [Fact]
    public async Task GatewayAndTokenVariables_AloneReachTheGateway_ForEveryClientVerb()
    {
        string[][] verbs =
        [
            ["status"], ["scripts"], ["nodes"], ["urls"], ["logs", "web"], ["errors"], ["run", "web"],
            ["wait", "web", "--for", "running"], ["reload"],
        ];

        foreach (var verb in verbs)
        {
            var (exitCode, output) = await BrummerProcess.RunAsync(gateway.Environment, verb);
            Assert.True(exitCode == 0, $"brummer {string.Join(' ', verb)} with only BRUMMER_GATEWAY and BRUMMER_TOKEN exited {exitCode}:\n{output}");
        }

        var withoutToken = await BrummerProcess.RunAsync(new Dictionary<string, string> { ["BRUMMER_GATEWAY"] = gateway.Gateway }, "status");
        Assert.Equal(1, withoutToken.ExitCode);
        Assert.Contains("requires a token", withoutToken.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Gateway_BehindAReverseProxyPath_ClientVerbsKeepThePath()
    {
        await using var proxy = await PathPrefixProxy.StartAsync("/brummer", new Uri(gateway.Gateway));
        var behindProxy = new Dictionary<string, string>(gateway.Environment) { ["BRUMMER_GATEWAY"] = new Uri(proxy.Url, "brummer").ToString() };

        var status = await BrummerProcess.RunAsync(behindProxy, "status");
        var run = await BrummerProcess.RunAsync(behindProxy, "run", "web");

        Assert.True(status.ExitCode == 0, status.Output);
        Assert.Matches(@"solo\s+web\s+running", status.Output);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.Contains("already running", run.Output, StringComparison.Ordinal);
        lock (proxy.Seen)
        {
            Assert.All(proxy.Seen, path => Assert.StartsWith("/brummer/api/", path, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task UrlsAndStatus_ShowWhereEachProcessServes()
    {
        var urls = await BrummerProcess.RunAsync(gateway.Environment, "urls");
        var status = await BrummerProcess.RunAsync(gateway.Environment, "status", "--name", "web");

        Assert.Equal(0, urls.ExitCode);
        Assert.Matches(@"^NODE\s+NAME\s+URL\s*\nsolo\s+web\s+http://localhost:5173/$", urls.Output.ReplaceLineEndings("\n"));
        Assert.Equal(0, status.ExitCode);
        Assert.Matches(@"NODE\s+NAME\s+STATUS\s+HEALTH\s+PID\s+SINCE\s+EXIT\s+RESTARTS\s+URL\s+DETAIL", status.Output);
        Assert.Matches(@"solo\s+web\s+running\s+.*\s+http://localhost:5173/\s+", status.Output);
    }

    [Fact]
    public async Task Status_OnATerminal_ColouredWithNoKeypadSequence_PlainWhenPipedOrNoColor()
    {
        var terminal = await Pty.RunAsync(gateway.Environment, "status");
        var noColor = await Pty.RunAsync(new Dictionary<string, string>(gateway.Environment) { ["NO_COLOR"] = "1" }, "status");
        var piped = await BrummerProcess.RunAsync(gateway.Environment, "status");

        TestContext.Current.TestOutputHelper?.WriteLine(terminal.Replace("\e", "\\e", StringComparison.Ordinal));
        Assert.DoesNotContain("\e[?1h", terminal, StringComparison.Ordinal);
        Assert.DoesNotContain("\e=", terminal, StringComparison.Ordinal);
        Assert.Contains("\e[32mrunning\e[0m", terminal, StringComparison.Ordinal);
        Assert.DoesNotContain('\e', noColor);
        Assert.Matches(@"solo\s+web\s+running", noColor);
        Assert.DoesNotContain('\e', piped.Output);
        Assert.Matches(@"solo\s+web\s+running", piped.Output);
    }

    [Fact]
    public async Task ErrorLine_OnATerminal_HasNoKeypadSequence()
    {
        var output = await Pty.RunAsync(new Dictionary<string, string>(), "status", "--gateway", $"http://127.0.0.1:{Silo.FreePort.Next()}");

        Assert.StartsWith("brummer: cannot reach the gateway", output, StringComparison.Ordinal);
    }
}

/// <summary>brummer on a pseudo-terminal, as a user's shell runs it (util-linux <c>script</c>), with a terminal that has a keypad mode.</summary>
internal static class Pty
{
    public static async Task<string> RunAsync(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var command = string.Join(' ', new[] { "dotnet", BrummerProcess.Dll }.Concat(args).Select(a => "'" + a.Replace("'", "'\\''", StringComparison.Ordinal) + "'"));
        var start = new ProcessStartInfo("script", ["-qfec", command, "/dev/null"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        start.Environment["TERM"] = "xterm-256color";
        foreach (var inherited in new[] { "BRUMMER_TOKEN", "BRUMMER_GATEWAY", "NO_COLOR" })
        {
            start.Environment.Remove(inherited);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        using var process = Process.Start(start)!;
        process.StandardInput.Close();
        var output = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var error = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        return new StringBuilder(await output).Append(await error).ToString().ReplaceLineEndings("\n").Trim();
    }
}
