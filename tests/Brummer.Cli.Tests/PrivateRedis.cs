using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Brummer.Clustering;
using Brummer.Silo;
using Brummer.Tests;
using StackExchange.Redis;

namespace Brummer.Cli.Tests;

/// <summary>
/// A redis-server of the test's own, on a free loopback port and without persistence, so a test can flush it or
/// restart it empty without touching the shared test Redis that other tests use at the same time.
/// </summary>
internal sealed class PrivateRedis : IAsyncDisposable
{
    private readonly string _executable;
    private readonly string _directory = Directory.CreateTempSubdirectory("brummer-redis-").FullName;
    private Process? _server;

    private PrivateRedis(string executable, int port)
    {
        _executable = executable;
        Port = port;
    }

    public int Port { get; }

    public string Url => $"redis://127.0.0.1:{Port}";

    /// <summary>Starts one; skipped locally when redis-server is not installed, a failure in CI (.ci/services.sh installs it).</summary>
    public static async Task<PrivateRedis> StartAsync()
    {
        var executable = Environment.GetEnvironmentVariable("PATH")!.Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, "redis-server"))
            .FirstOrDefault(File.Exists);
        if (executable is null)
        {
            ProcessCluster.RequireInstalled("redis-server");
        }

        var redis = new PrivateRedis(executable!, FreePort.Next());
        await redis.StartServerAsync();
        return redis;
    }

    /// <summary>FLUSHALL, as an operator would type it.</summary>
    public async Task FlushAllAsync()
    {
        await using var admin = await ConnectAsync();
        await admin.GetServer("127.0.0.1", Port).FlushAllDatabasesAsync();
    }

    /// <summary>A crash and restart without persistence: the same port, nothing in it.</summary>
    public async Task StopAsync()
    {
        var server = _server!;
        server.Kill();
        await server.WaitForExitAsync(TestContext.Current.CancellationToken);
        server.Dispose();
        _server = null;
    }

    public Task StartAgainAsync() => StartServerAsync();

    /// <summary>
    /// The cluster's Orleans membership table: its version (-1 if it has none) and each silo's name and Orleans status
    /// (3 = active, 6 = dead).
    /// </summary>
    public async Task<MembershipRows> MembersAsync(string clusterId)
    {
        await using var redis = await ConnectAsync();
        // Orleans.Clustering.Redis keeps a cluster in one hash, "{service id}/members/{cluster id}", with a "Version" field.
        var fields = await redis.GetDatabase().HashGetAllAsync($"{ClusteringExtensions.ServiceId}/members/{clusterId}");
        var version = fields.Where(f => f.Name == "Version").Select(f => (int)f.Value).DefaultIfEmpty(-1).Single();
        return new(version, [.. fields.Where(f => f.Name != "Version").Select(f =>
        {
            using var row = JsonDocument.Parse(f.Value.ToString());
            return (row.RootElement.GetProperty("SiloName").GetString()!, row.RootElement.GetProperty("Status").GetInt32());
        })]);
    }

    private async Task StartServerAsync()
    {
        var start = new ProcessStartInfo(_executable) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var arg in new[] { "--bind", "127.0.0.1", "--port", Port.ToString(CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--dir", _directory })
        {
            start.ArgumentList.Add(arg);
        }

        _server = Process.Start(start)!;
        _server.OutputDataReceived += (_, _) => { };
        _server.ErrorDataReceived += (_, _) => { };
        _server.BeginOutputReadLine();
        _server.BeginErrorReadLine();
        await Eventually.UntilAsync(
            async () =>
            {
                try
                {
                    await using var redis = await ConnectAsync();
                    await redis.GetDatabase().PingAsync();
                    return true;
                }
                catch (RedisConnectionException)
                {
                    return false;
                }
            },
            up => up,
            $"redis-server on port {Port} to answer");
    }

    private Task<ConnectionMultiplexer> ConnectAsync() =>
        ConnectionMultiplexer.ConnectAsync($"127.0.0.1:{Port},allowAdmin=true,connectTimeout=2000,connectRetry=1");

    public async ValueTask DisposeAsync()
    {
        if (_server is { HasExited: false })
        {
            await StopAsync();
        }

        _server?.Dispose();
        Directory.Delete(_directory, recursive: true);
    }
}
