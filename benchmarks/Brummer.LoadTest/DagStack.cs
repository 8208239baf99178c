using System.Globalization;
using System.Text;

namespace Brummer.LoadTest;

/// <summary>One process of the generated stack: its level (1 = no dependencies) and what it waits for.</summary>
internal sealed record DagProcess(string Name, int Level, IReadOnlyList<string> DependsOn);

/// <summary>
/// The stack of the stack-dag scenario: <c>levels</c> × <c>width</c> processes, each of level k &gt; 1 depending
/// (<c>process_healthy</c>) on 2 or 3 processes of level k − 1, drawn with a fixed seed so every round and both
/// variants run the very same graph. Every process is the same small program: it starts, waits its startup time,
/// prints <c>ready &lt;epoch ns&gt;</c> (the readiness probe's line, and the moment the report counts it ready
/// from), then idles until stopped.
/// </summary>
internal sealed class DagStack
{
    /// <summary>The readiness probe's pattern: the line the service prints once its startup is done.</summary>
    public const string ReadyPattern = "^ready [0-9]+$";

    private DagStack(IReadOnlyList<DagProcess> processes, int levels, int width)
    {
        Processes = processes;
        Levels = levels;
        Width = width;
    }

    public IReadOnlyList<DagProcess> Processes { get; }

    public int Levels { get; }

    public int Width { get; }

    public int Edges => Processes.Sum(p => p.DependsOn.Count);

    public static DagStack Generate(int levels, int width)
    {
        var random = new Random(20261129);
        var processes = new List<DagProcess>();
        for (var level = 1; level <= levels; level++)
        {
            for (var i = 0; i < width; i++)
            {
                var dependencies = level == 1
                    ? []
                    : Enumerable.Range(0, width).OrderBy(_ => random.Next()).Take(Math.Min(width, random.Next(2, 4)))
                        .Order().Select(j => Name(level - 1, j)).ToList();
                processes.Add(new DagProcess(Name(level, i), level, dependencies));
            }
        }

        return new DagStack(processes, levels, width);
    }

    /// <summary>
    /// The brummer.yaml: every process with the same command and readiness probe; with <paramref name="dependencies"/>
    /// false the baseline, the very same processes without <c>depends_on</c>.
    /// </summary>
    public string Yaml(DagService service, double startupSeconds, bool dependencies)
    {
        var command = Command(service, startupSeconds).Replace("'", "''", StringComparison.Ordinal);
        var s = new StringBuilder();
        s.AppendLine(CultureInfo.InvariantCulture, $"# Brummer load test, stack-dag scenario: {Processes.Count} processes in {Levels} levels of {Width}{(dependencies ? string.Empty : ", baseline without depends_on")}.");
        s.AppendLine("processes:");
        foreach (var process in Processes)
        {
            s.AppendLine(CultureInfo.InvariantCulture, $"  {process.Name}:");
            s.AppendLine(CultureInfo.InvariantCulture, $"    command: '{command}'");
            if (dependencies && process.DependsOn.Count > 0)
            {
                s.AppendLine("    depends_on:");
                foreach (var dependency in process.DependsOn)
                {
                    s.AppendLine(CultureInfo.InvariantCulture, $"      {dependency}: {{condition: process_healthy}}");
                }
            }

            s.AppendLine("    readiness_probe:");
            s.AppendLine(CultureInfo.InvariantCulture, $"      log: {{pattern: '{ReadyPattern}'}}");
            s.AppendLine("      period_seconds: 0.5");
        }

        return s.ToString();
    }

    /// <summary>What every process runs (through <c>/bin/sh -c</c>), as shown in the report.</summary>
    public static string Command(DagService service, double startupSeconds)
    {
        var seconds = startupSeconds.ToString("0.###", CultureInfo.InvariantCulture);
        var milliseconds = (startupSeconds * 1000).ToString("0", CultureInfo.InvariantCulture);
        return service switch
        {
            // date(1) for the moment: dash has no clock of its own. exec: the idle part is the process itself.
            DagService.Shell => $"sleep {seconds}; echo \"ready $(date +%s%N)\"; exec sleep 3600",
            // A node.js service: its runtime's own start, then a timer standing in for its startup work.
            _ => $"exec node -e \"setTimeout(() => {{ console.log('ready ' + BigInt(Math.round((performance.timeOrigin + performance.now()) * 1000)) * 1000n); setInterval(() => {{}}, 1 << 30); }}, {milliseconds})\"",
        };
    }

    private static string Name(int level, int index) => string.Create(CultureInfo.InvariantCulture, $"l{level}-{index:00}");
}

/// <summary>The program every process of the stack runs.</summary>
internal enum DagService
{
    /// <summary><c>sh</c>: sleep, print, sleep — almost no CPU, so the figure is the orchestration's.</summary>
    Shell,

    /// <summary><c>node -e</c>: a real runtime's start (tens of ms of CPU each) before the same timer.</summary>
    Node,
}
