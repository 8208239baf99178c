using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>
/// Brummer as users get it: the Brummer.Cli package installed with <c>dotnet tool install</c> into a tool path of its
/// own (never ~/.dotnet/tools), then <c>brummer up</c>, <c>run</c>, <c>status</c> and <c>stop</c> run from that install.
/// The installed <c>brummer</c> is the NativeAOT front end (src/Cli.Native): it answers the everyday client verbs itself
/// and hands every other command line to the full CLI it carries, so both answer the same command the same way.
/// </summary>
/// <remarks>
/// Where the packages come from: <c>BRUMMER_TOOL_PACKAGES</c> names a directory holding them. .ci/run sets it after running
/// the README's pack commands before <c>dotnet test</c>, so CI checks those exact commands, and no pack runs while the
/// test build or other test assemblies use src/*/bin and obj. Unset (a plain <c>dotnet test</c>), the test packs
/// src/Cli.Native itself into a temp directory (a minute or two: the native build is compiled ahead of time).
/// </remarks>
public sealed class ToolInstallTests : IDisposable
{
    private const string PackageId = "Brummer.Cli";

    /// <summary>Generous: a pack or install is seconds alone, but minutes on a busy 2-core machine; success returns at once.</summary>
    private static readonly TimeSpan DotnetTimeout = TimeSpan.FromMinutes(10);

    private readonly DirectoryInfo _scratch = Directory.CreateTempSubdirectory("brummer-tool-");

    [Fact]
    public async Task InstalledTool_UpRunStatus_ShowsTheScript_AndSigtermLeavesNothingRunning()
    {
        // Arrange: the package, installed as the README says, into a tool path of this test's own.
        var informationalVersion = FileVersionInfo.GetVersionInfo(BrummerProcess.Dll).ProductVersion!;
        var version = informationalVersion.Split('+')[0];
        var packages = await PackagesAsync(version);
        var toolPath = Path.Combine(_scratch.FullName, "tools");
        var install = await DotnetAsync(_scratch.FullName, "tool", "install", "--tool-path", toolPath, "--add-source", packages, PackageId, "--version", version);
        Assert.True(install.ExitCode == 0, $"dotnet tool install failed ({install.ExitCode}):\n{install.Output}");
        var brummer = Path.Combine(toolPath, "brummer");
        var command = new FileInfo(brummer).ResolveLinkTarget(returnFinalTarget: true)?.FullName ?? brummer;
        var installedDll = Directory.GetFiles(Path.Combine(toolPath, ".store"), "brummer.dll", SearchOption.AllDirectories).Single();
        Assert.True(
            FileVersionInfo.GetVersionInfo(installedDll).ProductVersion == informationalVersion,
            $"the installed {installedDll} was not built from the commit these tests were (a stale package in {packages}?); its ReadyToRun bytes differ from the build's by design, so the versions are compared");

        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("say:hello from the tool", "sleep") });
        var port = Silo.FreePort.Next();
        var gateway = $"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}";

        // Act: every command through the installed shim, as a user types them.
        var printedVersion = await BrummerProcess.RunInstalledAsync(brummer, "--version");
        await using var up = BrummerProcess.StartInstalled(brummer, "up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo", "--stop-timeout", "1");
        var mcpUrl = await up.McpUrlAsync();
        var run = await BrummerProcess.RunInstalledAsync(brummer, "run", "web", "--gateway", gateway);
        var status = await BrummerProcess.RunInstalledAsync(brummer, "status", "--gateway", gateway);
        var json = await BrummerProcess.RunInstalledAsync(brummer, "status", "--json", "--gateway", gateway);
        var pid = JsonDocument.Parse(json.Output).RootElement.GetProperty("processes")[0].GetProperty("pid").GetInt32();

        // The answers below are compared one against the other: first let the script print its line, so that the state
        // they describe stops changing between the two calls.
        await Eventually.UntilAsync(
            () => BrummerProcess.RunAsync("status", "--gateway", gateway),
            answer => answer.Output.Contains("hello from the tool", StringComparison.Ordinal),
            "web's line in status");
        string[][] sameAnswers =
        [
            ["status"], ["status", "--name", "web", "--status", "running"], ["status", "-n", "solo", "--status=failed"], ["status", "--node", "nosuch"],
            ["run", "web"], ["restart", "nosuch"], ["stop", "web", "--node", "elsewhere"], ["status", "--bogus"], ["run"],
        ];
        var answers = new List<(string Command, (int, string) Installed, (int, string) Full)>();
        foreach (var args in sameAnswers)
        {
            string[] withGateway = [.. args, "--gateway", gateway];
            answers.Add((string.Join(' ', args), Ages(await BrummerProcess.RunInstalledAsync(brummer, withGateway)), Ages(await BrummerProcess.RunAsync(withGateway))));
        }

        var restart = await BrummerProcess.RunInstalledAsync(brummer, "restart", "web", "--wait", "running", "--gateway", gateway); // handed to the full CLI (--wait)
        var restartedPid = JsonDocument.Parse((await BrummerProcess.RunInstalledAsync(brummer, "status", "--json", "--gateway", gateway)).Output).RootElement.GetProperty("processes")[0].GetProperty("pid").GetInt32();
        var tree = OsProcesses.GroupMembers(restartedPid);
        var stop = await BrummerProcess.RunInstalledAsync(brummer, "stop", "web", "--gateway", gateway);
        var stoppedAgain = await BrummerProcess.RunAsync("stop", "web", "--gateway", gateway);
        using var http = new HttpClient { BaseAddress = new Uri(gateway) };
        var dashboard = await http.GetStringAsync(new Uri("/", UriKind.Relative), TestContext.Current.CancellationToken);
        using var dashboardScript = await http.GetAsync(new Uri("/dashboard/app.js", UriKind.Relative), TestContext.Current.CancellationToken);
        var exitCode = await up.TerminateAsync();

        // Assert: the README gives the commands run here (--global where this test has its own --tool-path).
        var readme = File.ReadAllText(Path.Combine(RepositoryRoot(), "README.md"));
        foreach (var pack in PackCommands)
        {
            Assert.Contains($"dotnet {string.Join(' ', pack)}", readme, StringComparison.Ordinal);
        }

        Assert.Contains($"dotnet tool install --global --add-source artifacts/packages {PackageId} --version {version}", readme, StringComparison.Ordinal);
        Assert.Equal((0, informationalVersion), printedVersion);
        Assert.Equal(new Uri($"{gateway}/mcp"), mcpUrl);
        Assert.True(run.ExitCode == 0, run.Output);
        Assert.True(status.ExitCode == 0, status.Output);
        Assert.Matches(@"NODE\s+NAME\s+STATUS", status.Output);
        Assert.Matches(@"solo\s+web\s+running", status.Output);
        Assert.False(File.Exists(Path.ChangeExtension(command, ".runtimeconfig.json")), $"{command} is a .NET program that needs the runtime, not the native front end");
        Assert.True(File.Exists(Path.Combine(Path.GetDirectoryName(command)!, "host", "brummer.dll")), $"no full CLI in host/ beside {command}");
        Assert.All(answers, a => Assert.True(a.Installed == a.Full, $"`brummer {a.Command}`: the installed front end answered {a.Installed}, the full CLI {a.Full}"));
        Assert.Contains(answers, a => a.Full.Item1 == 0 && a.Full.Item2.Contains("web on solo is already running", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.Full.Item1 == 1 && a.Full.Item2.StartsWith("brummer: ", StringComparison.Ordinal));
        Assert.Contains(answers, a => a.Full.Item1 == 2 && a.Full.Item2.Contains("--bogus", StringComparison.Ordinal));
        Assert.True(restart.ExitCode == 0 && restart.Output.StartsWith("web on solo: running", StringComparison.Ordinal), restart.Output);
        Assert.NotEqual(pid, restartedPid);
        Assert.True(stop.ExitCode == 0 && stop.Output.StartsWith($"web on solo: stopped (pid {restartedPid.ToString(CultureInfo.InvariantCulture)})", StringComparison.Ordinal), stop.Output);
        Assert.Equal(0, stoppedAgain.ExitCode);
        Assert.Contains("<script type=\"module\" src=\"/dashboard/app.js\"></script>", dashboard, StringComparison.Ordinal); // the web dashboard, embedded in the package
        Assert.Equal(System.Net.HttpStatusCode.OK, dashboardScript.StatusCode);
        Assert.Contains(restartedPid, tree);
        Assert.Equal(0, exitCode);
        Assert.False(OsProcesses.IsAlive(up.Pid), $"brummer up (pid {up.Pid}) is still alive");
        Assert.All(tree, p => Assert.False(OsProcesses.IsAlive(p), $"pid {p} of the script outlived brummer up"));
        Assert.Empty(OsProcesses.WorkingIn(stack.Path));
    }

    /// <summary>The README's pack commands (each run from the clone's root, then `dotnet tool install`).</summary>
    private static readonly string[][] PackCommands =
    [
        ["pack", "src/Cli.Native", "-c", "Release", "-o", "artifacts/packages"],
        ["pack", "src/Cli.Native", "-c", "Release", "-o", "artifacts/packages", "-r", "linux-x64"],
    ];

    /// <summary>"12s ago" → "Ns ago": two answers a second apart are the same answer.</summary>
    private static (int, string) Ages((int ExitCode, string Output) answer) =>
        (answer.ExitCode, System.Text.RegularExpressions.Regex.Replace(answer.Output, @"\b\d+s ago\b", "Ns ago"));

    /// <summary>The directory holding Brummer.Cli.<paramref name="version"/>.nupkg and its linux-x64 package: CI's, or packed here (see the class remarks).</summary>
    private async Task<string> PackagesAsync(string version)
    {
        string[] packages = [$"{PackageId}.{version}.nupkg", $"{PackageId}.linux-x64.{version}.nupkg"];
        var fromCi = Environment.GetEnvironmentVariable("BRUMMER_TOOL_PACKAGES");
        if (!string.IsNullOrEmpty(fromCi))
        {
            var directory = Path.GetFullPath(fromCi, RepositoryRoot()); // a relative path is the README's, from the clone's root
            var held = Directory.Exists(directory) ? string.Join(", ", Directory.GetFiles(directory).Select(Path.GetFileName)) : "(no such directory)";
            Assert.True(packages.All(p => File.Exists(Path.Combine(directory, p))), $"BRUMMER_TOOL_PACKAGES={fromCi} lacks one of {string.Join(", ", packages)} (did the pack before the tests fail?); it holds: {held}");
            return directory;
        }

        var output = Path.Combine(_scratch.FullName, "packages");
        var configuration = typeof(ToolInstallTests).Assembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration ?? "Release";
        foreach (var command in PackCommands)
        {
            string[] args = [.. command.Select(a => a switch { "artifacts/packages" => output, "Release" => configuration, _ => a })];
            var pack = await DotnetAsync(RepositoryRoot(), args);
            Assert.True(pack.ExitCode == 0, $"dotnet {string.Join(' ', args)} failed ({pack.ExitCode}):\n{pack.Output}");
        }

        Assert.True(packages.All(p => File.Exists(Path.Combine(output, p))), $"the pack made no {string.Join(" or ", packages)}");
        return output;
    }

    /// <summary>Runs the dotnet CLI to completion; on timeout kills it and fails with what it printed.</summary>
    private static async Task<(int ExitCode, string Output)> DotnetAsync(string workingDirectory, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var output = new StringBuilder();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => Append(e.Data);
        process.ErrorDataReceived += (_, e) => Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(DotnetTimeout, TestContext.Current.CancellationToken);
        }
        catch (TimeoutException ex)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"dotnet {string.Join(' ', args)} did not finish within {DotnetTimeout.TotalMinutes:0} min; it printed:\n{output}", ex);
        }

        process.WaitForExit(); // drains the redirected streams
        lock (output)
        {
            return (process.ExitCode, output.ToString());
        }

        void Append(string? line)
        {
            if (line is not null)
            {
                lock (output)
                {
                    output.AppendLine(line);
                }
            }
        }
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Brummer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Brummer.sln above {AppContext.BaseDirectory}");
    }

    public void Dispose()
    {
        try
        {
            _scratch.Delete(recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
