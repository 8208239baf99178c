#:package CliWrap
// What one process start costs a node before any orchestration: 100 starts of `setsid -w sh -c 'exec sleep 3600'` (the
// shape the supervisor spawns), with Process.Start or CliWrap, from one thread or four. Every started process is killed.
// Usage: dotnet run benchmarks/SpawnCost/spawn.cs [process|process-par|cliwrap|cliwrap-par]
using System.Diagnostics;
using CliWrap;

const int Starts = 100;
string[] arguments = ["-w", "/bin/sh", "-c", "exec sleep 3600"];
var mode = args.Length > 0 ? args[0] : "process";
using var abandon = new CancellationTokenSource();
var gate = new Lock();
var commands = new List<Task>();
var processes = new List<Process>();
var each = new List<double>();
var clock = Stopwatch.StartNew();

Parallel.For(0, Starts, new ParallelOptions { MaxDegreeOfParallelism = mode.EndsWith("-par", StringComparison.Ordinal) ? 4 : 1 }, _ =>
{
    var began = clock.Elapsed;
    Task? command = null;
    Process? process = null;
    if (mode.StartsWith("cliwrap", StringComparison.Ordinal))
    {
        command = Cli.Wrap("setsid").WithArguments(arguments)
            .WithStandardOutputPipe(PipeTarget.ToDelegate(_ => { }))
            .WithStandardErrorPipe(PipeTarget.ToDelegate(_ => { }))
            .WithValidation(CommandResultValidation.None)
            .ExecuteAsync(abandon.Token).Task;
    }
    else
    {
        process = Process.Start(new ProcessStartInfo("setsid", arguments) { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true })!;
    }

    var took = (clock.Elapsed - began).TotalMilliseconds;
    lock (gate)
    {
        each.Add(took);
        if (command is not null)
        {
            commands.Add(command);
        }

        if (process is not null)
        {
            processes.Add(process);
        }
    }
});

var total = clock.ElapsedMilliseconds;
each.Sort();
Console.WriteLine($"{mode}: {Starts} starts in {total} ms; per start median {each[Starts / 2]:0.0} ms, p90 {each[Starts * 9 / 10]:0.0} ms, max {each[^1]:0.0} ms");

abandon.Cancel();
foreach (var process in processes)
{
    process.Kill(entireProcessTree: true);
}

await Task.WhenAll(commands.Select(c => c.ContinueWith(_ => { }, TaskScheduler.Default)));
