using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Benchmarks;

/// <summary>
/// The node every status benchmark reads: node "bench" with 100 scripts named process-00..process-99 and one
/// published <see cref="ProcessInfo"/> per script, held three ways: Brummer's <see cref="NodeStatusTable"/>,
/// a <see cref="Lock"/> + <see cref="Dictionary{TKey, TValue}"/> and a <see cref="ReaderWriterLockSlim"/> +
/// <see cref="Dictionary{TKey, TValue}"/>. The two baselines hold the very same <see cref="ProcessInfo"/> objects.
/// <see cref="EagerTable"/> holds the same scripts in the table's previous design, measured beside it as "before".
/// </summary>
internal sealed class StatusWorld : IDisposable
{
    public const string Node = "bench";
    public const int ProcessCount = 100;
    private const string Address = "127.0.0.1:11111";

    public StatusWorld()
    {
        StartedAt = TimeProvider.System.GetUtcNow();
        Names = [.. Enumerable.Range(0, ProcessCount).Select(i => $"process-{i:00}")];
        var scripts = Names.Select(name => new ScriptInfo(Node, name, $"node {name}.js", "package.json (npm)")).ToArray();
        Table = new NodeStatusTable(Node, Address, scripts, TimeProvider.System);
        EagerTable = new EagerSnapshotStatusTable(Node, Address, scripts, TimeProvider.System);

        for (var i = 0; i < Names.Length; i++)
        {
            var published = Table.Publish(Running(Names[i], 1000 + i));
            EagerTable.Publish(Running(Names[i], 1000 + i));
            Locked.Add(Names[i], published);
            ReaderWriter.Add(Names[i], published);
        }
    }

    /// <summary>The script names as the table stores them.</summary>
    public string[] Names { get; }

    public DateTimeOffset StartedAt { get; }

    public NodeStatusTable Table { get; }

    /// <summary>The previous design: a new node snapshot built on every write.</summary>
    public EagerSnapshotStatusTable EagerTable { get; }

    public Lock Gate { get; } = new();

    public Dictionary<string, ProcessInfo> Locked { get; } = new(StringComparer.Ordinal);

    public ReaderWriterLockSlim ReaderWriterGate { get; } = new(LockRecursionPolicy.NoRecursion);

    public Dictionary<string, ProcessInfo> ReaderWriter { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// A lookup key equal to <paramref name="name"/> but a different string instance, as a key parsed from an
    /// MCP or REST request would be, so no lookup wins on reference equality. Built once, never in a timed loop.
    /// </summary>
    public static string KeyFor(string name) => new(name.AsSpan());

    /// <summary>A fresh running view of one script; the table stamps node and version on publish.</summary>
    public ProcessInfo Running(string name, int pid) =>
        new(Node, name, ProcessStatus.Running, pid, StartedAt, null, null, 0, null, null, 0);

    /// <summary>The same view, made by the table's write at its version (the one-record write).</summary>
    public ProcessInfo Running(string name, int pid, long version) =>
        new(Node, name, ProcessStatus.Running, pid, StartedAt, null, null, 0, null, null, version);

    public void Dispose() => ReaderWriterGate.Dispose();
}
