using System.Diagnostics;
using System.Text;
using Brummer.Tests;

namespace Brummer.Gateway.Tests;

/// <summary>
/// A script of tests/mcp-node-client (the official TypeScript MCP SDK under node) running beside a test, read line
/// by line while it runs, so a test can act between what the script prints.
/// </summary>
internal sealed class NodeClient : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _errors = new();

    private NodeClient(Process process)
    {
        _process = process;
        _process.ErrorDataReceived += (_, e) =>
        {
            lock (_errors)
            {
                _errors.AppendLine(e.Data);
            }
        };
        _process.BeginErrorReadLine();
    }

    public static async Task<NodeClient> StartAsync(string script, params string[] args)
    {
        await NodeMcpClient.EnsureInstalledAsync();
        var start = new ProcessStartInfo("node") { WorkingDirectory = NodeMcpClient.ClientDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        start.Environment.Remove("BRUMMER_GATEWAY");
        start.Environment.Remove("BRUMMER_TOKEN");
        return new NodeClient(Process.Start(start)!);
    }

    /// <summary>The next line the script prints (within two minutes; the script's stderr in the failure otherwise).</summary>
    public async Task<string> ReadLineAsync()
    {
        string? line;
        try
        {
            line = await _process.StandardOutput.ReadLineAsync(TestContext.Current.CancellationToken).AsTask().WaitAsync(TimeSpan.FromMinutes(2), TestContext.Current.CancellationToken);
        }
        catch (TimeoutException)
        {
            line = null;
        }

        Assert.True(line is not null, $"the node client printed nothing more; its stderr:\n{Errors}");
        return line;
    }

    public async Task WaitForExitAsync()
    {
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromMinutes(1), TestContext.Current.CancellationToken);
        Assert.True(_process.ExitCode == 0, $"the node client exited with {_process.ExitCode}; its stderr:\n{Errors}");
    }

    private string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    public void Dispose()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        _process.Dispose();
    }
}
