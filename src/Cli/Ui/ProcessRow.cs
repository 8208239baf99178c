using Brummer.Gateway.Contracts;

namespace Brummer.Cli.Ui;

/// <summary>
/// One line of the live view: a script's process on a node, or a script that has not run there yet (status
/// <see cref="NotRun"/>), so every script can be started from the view.
/// </summary>
internal sealed record ProcessRow(
    string Node,
    string Name,
    string Status,
    string Health,
    int? Pid,
    int Restarts,
    int ErrorCount,
    string? Url,
    string? Detail)
{
    public const string NotRun = "not run";

    public static ProcessRow From(ProcessDto p)
    {
        ArgumentNullException.ThrowIfNull(p);
        return new(p.Node, p.Name, p.Status, p.Health, p.Pid, p.Restarts, p.ErrorCount, p.Urls.Count > 0 ? p.Urls[0] : null, DetailOf(p));
    }

    public static ProcessRow From(ScriptDto s)
    {
        ArgumentNullException.ThrowIfNull(s);
        return new(s.Node, s.Name, NotRun, "none", null, 0, 0, null, s.Command);
    }

    /// <summary>The one thing worth reading about a process: why it waits or failed, else what it last printed.</summary>
    private static string? DetailOf(ProcessDto p) => p switch
    {
        { Status: "pending", WaitingFor: { } waiting } => $"waiting for {waiting}",
        { Reason: { } reason } => reason,
        { WaitingFor: { } dependency } => $"dependency {dependency}",
        _ => p.LastLine,
    };

    public bool Matches(string filter) =>
        filter.Length == 0 ||
        Node.Contains(filter, StringComparison.OrdinalIgnoreCase) ||
        Name.Contains(filter, StringComparison.OrdinalIgnoreCase) ||
        Status.Contains(filter, StringComparison.OrdinalIgnoreCase) ||
        (Url?.Contains(filter, StringComparison.OrdinalIgnoreCase) ?? false) ||
        (Detail?.Contains(filter, StringComparison.OrdinalIgnoreCase) ?? false);
}

/// <summary>What the view knows of the cluster: every row, in node then name order, and when the gateway saw it so.</summary>
internal sealed record ClusterSnapshot(IReadOnlyList<ProcessRow> Rows, DateTime AsOf)
{
    public static readonly ClusterSnapshot Empty = new([], DateTime.MinValue);

    /// <summary>Processes first (they carry state); scripts that have no process on their node yet follow as not run.</summary>
    public static ClusterSnapshot Of(IEnumerable<ProcessDto> processes, IEnumerable<ScriptDto> scripts, DateTime asOf)
    {
        var rows = new Dictionary<(string, string), ProcessRow>();
        foreach (var script in scripts)
        {
            rows[(script.Node, script.Name)] = ProcessRow.From(script);
        }

        foreach (var process in processes)
        {
            rows[(process.Node, process.Name)] = ProcessRow.From(process);
        }

        return new([.. rows.Values.OrderBy(r => r.Node, StringComparer.Ordinal).ThenBy(r => r.Name, StringComparer.Ordinal)], asOf);
    }
}
