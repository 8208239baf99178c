using System.Diagnostics;
using System.Text;

namespace Brummer.Cli.Tests;

/// <summary>The real <c>brummer</c> program, started as its own OS process (dotnet brummer.dll ...).</summary>
internal sealed class BrummerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<Uri> _mcpUrl = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private BrummerProcess(Process process)
    {
        _process = process;
    }

    public static string Dll { get; } = Path.Combine(AppContext.BaseDirectory, "brummer.dll");

    public int Pid => _process.Id;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public static BrummerProcess Start(params string[] args) => Start(new Dictionary<string, string>(), args);

    public static BrummerProcess Start(IReadOnlyDictionary<string, string> environment, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        start.ArgumentList.Add(Dll);
        foreach (var arg in args)
        {
            start.ArgumentList.Add(arg);
        }

        var process = new Process { StartInfo = start, EnableRaisingEvents = true };
        var brummer = new BrummerProcess(process);
        process.OutputDataReceived += (_, e) => brummer.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => brummer.OnLine(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.Exited += (_, _) => brummer._mcpUrl.TrySetException(new InvalidOperationException($"brummer exited with {process.ExitCode} before it was up:\n{brummer.Output}"));
        return brummer;
    }

    /// <summary>Runs a client verb to completion and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Output)> RunAsync(params string[] args)
    {
        await using var brummer = Start(args);
        await brummer._process.WaitForExitAsync(TestContext.Current.CancellationToken);
        brummer._process.WaitForExit(); // drains the redirected streams
        return (brummer._process.ExitCode, brummer.Output.Trim());
    }

    /// <summary>Completes with the MCP URL once brummer up prints it (i.e. is ready).</summary>
    public Task<Uri> McpUrlAsync() => _mcpUrl.Task.WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);

    public async Task<int> TerminateAsync()
    {
        Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!.WaitForExit();
        await _process.WaitForExitAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(60), TestContext.Current.CancellationToken);
        _process.WaitForExit();
        return _process.ExitCode;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }

        if (line.StartsWith("MCP:", StringComparison.Ordinal))
        {
            _mcpUrl.TrySetResult(new Uri(line["MCP:".Length..].Trim()));
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
