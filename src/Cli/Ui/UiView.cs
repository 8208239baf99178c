using System.Text.RegularExpressions;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Brummer.Cli.Ui;

/// <summary>
/// The screen as a pure function of <see cref="UiState"/> and the terminal's size: a title, the process table (or
/// a followed log), the filter, the last action's outcome and the keys. Never taller than the terminal, never wider:
/// on a narrow one the less important columns go first.
/// </summary>
internal static partial class UiView
{
    private const string Gap = "  ";

    /// <summary>Lines around the table or log: title, problem, filter, message, help, and the table's header.</summary>
    private const int Chrome = 6;

    private static readonly Style Dim = new(Color.Grey);

    public static IRenderable Render(UiState state, string gateway, int width, int height)
    {
        ArgumentNullException.ThrowIfNull(state);
        width = Math.Max(20, width);
        height = Math.Max(Chrome + 1, height);
        var lines = new List<IRenderable> { Title(state, gateway, width) };
        if (state.Problem is { } problem)
        {
            lines.Add(Line($"! {problem}; retrying every second{(state.Connected ? ", showing the last known state" : string.Empty)}", width, new Style(Color.Red, decoration: Decoration.Bold)));
        }

        var room = height - Chrome - (state.Problem is null ? 0 : 1) + 1;
        lines.Add(state.Log is { } log ? LogLines(log, width, room) : ProcessTable(state, width, room));
        if (state.Log is null && (state.EditingFilter || state.Filter.Length > 0))
        {
            lines.Add(Line($"/{state.Filter}{(state.EditingFilter ? "_" : string.Empty)}   ({state.Visible.Count} of {state.Snapshot.Rows.Count} shown; Enter keeps, Esc clears)", width, new Style(Color.Yellow)));
        }

        if (state.Message is { } message)
        {
            lines.Add(Line(message, width, state.MessageIsError ? new Style(Color.Red) : new Style(Color.Aqua)));
        }

        lines.Add(Line(state.Log is null ? UiKeys.Help : UiKeys.LogHelp, width, Dim));
        return new Rows(lines);
    }

    private static Text Title(UiState state, string gateway, int width)
    {
        if (state.Log is { } log)
        {
            return Line($"brummer ui · {gateway} · output of {log.Name} on {log.Node}{(log.Problem is null ? string.Empty : $" · {log.Problem}")}", width, new Style(decoration: Decoration.Bold));
        }

        var rows = state.Snapshot.Rows;
        var counts = rows.Where(r => r.Status != ProcessRow.NotRun).GroupBy(r => r.Status).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => $"{g.Count()} {g.Key}");
        var nodes = rows.Select(r => r.Node).Distinct().Count();
        var summary = state.Connected
            ? $"{rows.Count} scripts on {nodes} node{(nodes == 1 ? string.Empty : "s")}: {string.Join(", ", counts.DefaultIfEmpty("none run yet"))} · {state.Snapshot.AsOf.ToLocalTime():HH:mm:ss}"
            : "connecting…";
        return Line($"brummer ui · {gateway} · {summary}", width, new Style(decoration: Decoration.Bold));
    }

    private static IRenderable ProcessTable(UiState state, int width, int room)
    {
        var visible = state.Visible;
        if (visible.Count == 0)
        {
            var why = !state.Connected ? "Waiting for the gateway…"
                : state.Snapshot.Rows.Count == 0 ? "No scripts on any node yet."
                : "No process matches the filter.";
            return Line(why, width, Dim);
        }

        var columns = Columns(visible, width);
        var table = new Table().NoBorder().HideHeaders();
        foreach (var column in columns)
        {
            table.AddColumn(new TableColumn(string.Empty) { NoWrap = true, Width = column.Width, Padding = new Padding(0, 0, 0, 0) });
        }

        table.AddRow(columns.Select(c => (IRenderable)new Text(Fit(c.Header, c.Room), new Style(decoration: Decoration.Bold))));
        var selected = state.SelectedIndex;
        var first = Math.Max(0, selected - room + 1);
        foreach (var (row, index) in visible.Select((r, i) => (r, i)).Skip(first).Take(room))
        {
            var isSelected = index == selected;
            table.AddRow(columns.Select(c =>
            {
                var style = c.Style(row);
                if (isSelected)
                {
                    style = style.Combine(new Style(decoration: Decoration.Invert | Decoration.Bold));
                }

                return (IRenderable)new Text(Fit(c.Cell(row, isSelected), c.Room), style);
            }));
        }

        return table;
    }

    /// <param name="Width">Columns on screen, the gap to the next column included; 0 for the last-line column, which takes the rest.</param>
    private sealed record Column(string Header, int Width, Func<ProcessRow, bool, string> Cell, Func<ProcessRow, Style> Style, bool Last = false)
    {
        /// <summary>Room for the text: the width less at least one space before the next column (none after the last).</summary>
        public int Room => Last ? Width : Width - 1;
    }

    /// <summary>
    /// The columns that fit, in the table's order, each as wide as its widest cell (within bounds) plus a gap; the
    /// last-line column takes what is left. Dropped first when narrow: last line, url, restarts, health, errors, pid, node.
    /// </summary>
    private static List<Column> Columns(IReadOnlyList<ProcessRow> rows, int width)
    {
        int Widest(string header, Func<ProcessRow, string> cell, int max) =>
            Math.Min(max, Math.Max(header.Length, rows.Max(r => cell(r).Length))) + Gap.Length;

        var none = new Style();
        var all = new (int Priority, Column Column)[]
        {
            (0, new Column(string.Empty, 2, (_, selected) => selected ? ">" : string.Empty, _ => none)),
            (3, new Column("NODE", Widest("NODE", r => r.Node, 20), (r, _) => r.Node, _ => none)),
            (1, new Column("NAME", Widest("NAME", r => r.Name, 32), (r, _) => r.Name, _ => new Style(decoration: Decoration.Bold))),
            (2, new Column("STATE", Widest("STATE", r => r.Status, 10), (r, _) => r.Status, r => new Style(StateColour(r.Status)))),
            (6, new Column("HEALTH", Widest("HEALTH", r => r.Health, 9), (r, _) => r.Health == "none" ? "-" : r.Health, r => new Style(HealthColour(r.Health)))),
            (4, new Column("PID", Widest("PID", r => r.Pid?.ToString() ?? "-", 8), (r, _) => r.Pid?.ToString() ?? "-", _ => none)),
            (7, new Column("RESTARTS", Widest("RESTARTS", r => r.Restarts.ToString(), 8), (r, _) => r.Restarts.ToString(), r => r.Restarts > 0 ? new Style(Color.Yellow) : none)),
            (5, new Column("ERRORS", Widest("ERRORS", r => r.ErrorCount.ToString(), 8), (r, _) => r.ErrorCount.ToString(), r => r.ErrorCount > 0 ? new Style(Color.Red) : none)),
            (8, new Column("URL", Widest("URL", r => r.Url ?? "-", 32), (r, _) => r.Url ?? "-", _ => new Style(Color.Blue))),
            (9, new Column("LAST LINE", 0, (r, _) => Plain(r.Detail ?? string.Empty), r => r.Status == ProcessRow.NotRun ? Dim : none, Last: true)),
        };

        const int LastLineAtLeast = 12;
        var kept = new HashSet<int>();
        var used = 0;
        foreach (var (priority, column) in all.OrderBy(c => c.Priority))
        {
            var need = column.Width == 0 ? LastLineAtLeast : column.Width;
            if (used + need <= width)
            {
                kept.Add(priority);
                used += column.Width;
            }
        }

        return [.. all.Where(c => kept.Contains(c.Priority)).Select(c => c.Column.Width == 0 ? c.Column with { Width = width - used } : c.Column)];
    }

    private static IRenderable LogLines(LogView log, int width, int room)
    {
        if (log.Lines.Count == 0)
        {
            return Line("(no output yet)", width, Dim);
        }

        return new Rows(log.Lines.TakeLast(room + 1).Select(l => Line(Plain(l.Text), width, l.Stream == "stderr" ? new Style(Color.Red) : new Style())));
    }

    public static Color StateColour(string status) => status switch
    {
        "running" => Color.Green,
        "succeeded" => Color.Aqua,
        "pending" or "starting" or "stopping" or "restarting" => Color.Yellow,
        "failed" or "lost" => Color.Red,
        _ => Color.Grey,
    };

    private static Color HealthColour(string health) => health switch
    {
        "ready" => Color.Green,
        "starting" => Color.Yellow,
        "unhealthy" => Color.Red,
        _ => Color.Grey,
    };

    private static Text Line(string text, int width, Style style) => new(Fit(text, width), style);

    /// <summary>Cut to <paramref name="width"/> columns (with an ellipsis), so no line ever wraps and pushes the screen.</summary>
    private static string Fit(string text, int width) =>
        width <= 0 ? string.Empty
        : text.Length <= width ? text
        : width <= 1 ? text[..width]
        : string.Concat(text.AsSpan(0, width - 1), "…");

    /// <summary>A process's line without colour codes or control characters, which would move the cursor of the view.</summary>
    private static string Plain(string text) => ControlCharacters().Replace(AnsiEscapes().Replace(text, string.Empty), " ");

    [GeneratedRegex(@"\x1B(\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1B]*(\x07|\x1B\\)?|[@-Z\\-_])")]
    private static partial Regex AnsiEscapes();

    [GeneratedRegex(@"[\x00-\x1F\x7F]")]
    private static partial Regex ControlCharacters();
}
