using System.Diagnostics;

namespace Brummer.Tests;

/// <summary>
/// The official TypeScript MCP SDK under node (tests/mcp-node-client): a second, independent client, so the server is
/// checked against more than the C# SDK's reading of the protocol. Its scripts print one JSON line last.
/// </summary>
internal static class NodeMcpClient
{
    /// <summary>tests/mcp-node-client, where its scripts run.</summary>
    internal static readonly string ClientDirectory = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../mcp-node-client"));

    /// <summary>Runs <paramref name="script"/> of tests/mcp-node-client with <paramref name="args"/>; returns its last output line.</summary>
    public static async Task<string> RunAsync(string script, params string[] args)
    {
        await EnsureInstalledAsync();
        var (code, output) = await RunProgramAsync("node", [script, .. args]);
        Assert.True(code == 0, $"node {script} failed:\n{output}");
        return output.Trim().Split('\n')[^1];
    }

    /// <summary>
    /// Installs the pinned SDK (package-lock.json) once, so the README's test command works on a fresh clone. Test
    /// assemblies run in parallel: a lock file keeps two from running npm ci in the same directory at once.
    /// </summary>
    internal static async Task EnsureInstalledAsync()
    {
        if (Installed())
        {
            return;
        }

        using var installing = await Eventually.UntilAsync(TryLock, held => held is not null, "the npm install lock of tests/mcp-node-client", TimeSpan.FromMinutes(5));
        if (!Installed())
        {
            var (code, output) = await RunProgramAsync("npm", ["ci", "--no-audit", "--no-fund"]);
            Assert.True(code == 0, $"npm ci failed in {ClientDirectory}:\n{output}");
            await File.WriteAllTextAsync(InstalledMarker, "npm ci done\n", TestContext.Current.CancellationToken);
        }
    }

    // Written once npm ci has finished: the SDK's directory appears long before its files do, so another test assembly
    // that saw the directory ran node against a half-extracted package (CI).
    private static string InstalledMarker => Path.Combine(ClientDirectory, "node_modules", ".brummer-tests-installed");

    private static bool Installed() => File.Exists(InstalledMarker);

    private static Task<FileStream?> TryLock()
    {
        try
        {
            return Task.FromResult<FileStream?>(new FileStream(Path.Combine(ClientDirectory, ".install.lock"), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None));
        }
        catch (IOException)
        {
            return Task.FromResult<FileStream?>(null);
        }
    }

    private static async Task<(int Code, string Output)> RunProgramAsync(string program, string[] args)
    {
        var start = new ProcessStartInfo(program) { WorkingDirectory = ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("BRUMMER_GATEWAY");
        start.Environment.Remove("BRUMMER_TOKEN");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(TestContext.Current.CancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(TestContext.Current.CancellationToken);
        await process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(5), TestContext.Current.CancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }
}
