using Brummer.Gateway.Contracts;

namespace Brummer.Cli.Ui;

/// <summary>
/// Everything the live view shows, as one immutable value: keys and gateway answers each make a new one, and the
/// screen is a pure function of it (<see cref="UiView"/>).
/// </summary>
/// <param name="Problem">Why the gateway cannot be asked right now; the last snapshot still shows.</param>
/// <param name="Selected">The selected row by identity, so it stays put when rows change order or the filter changes.</param>
/// <param name="Message">The outcome of the last action, or what is under way.</param>
/// <param name="Log">The process whose output is followed full screen, or null for the table.</param>
internal sealed record UiState(
    ClusterSnapshot Snapshot,
    string? Problem = null,
    (string Node, string Name)? Selected = null,
    string Filter = "",
    bool EditingFilter = false,
    string? Message = null,
    bool MessageIsError = false,
    LogView? Log = null)
{
    public static readonly UiState Initial = new(ClusterSnapshot.Empty);

    public bool Connected => Snapshot.AsOf != DateTime.MinValue;

    public IReadOnlyList<ProcessRow> Visible => [.. Snapshot.Rows.Where(r => r.Matches(Filter))];

    /// <summary>Index of the selected row among <see cref="Visible"/>: the first row when the selection is gone, -1 when none shows.</summary>
    public int SelectedIndex
    {
        get
        {
            var visible = Visible;
            if (visible.Count == 0)
            {
                return -1;
            }

            for (var i = 0; i < visible.Count; i++)
            {
                if (Selected is { } key && visible[i].Node == key.Node && visible[i].Name == key.Name)
                {
                    return i;
                }
            }

            return 0;
        }
    }

    public ProcessRow? SelectedRow => SelectedIndex is var i and >= 0 ? Visible[i] : null;

    public UiState With(StatusUpdate update)
    {
        ArgumentNullException.ThrowIfNull(update);
        return update.Snapshot is { } snapshot ? this with { Snapshot = snapshot, Problem = null } : this with { Problem = update.Problem };
    }

    public UiState Say(string message, bool error = false) => this with { Message = message, MessageIsError = error };
}

/// <summary>A process's output, followed: the newest lines last, at most <see cref="Keep"/>.</summary>
internal sealed record LogView(string Node, string Name, IReadOnlyList<LogLineDto> Lines, string? Problem = null)
{
    public const int Keep = 1000;

    public LogView Append(IReadOnlyList<LogLineDto> lines) =>
        lines.Count == 0 && Problem is null
            ? this
            : this with { Lines = [.. Lines.Concat(lines).TakeLast(Keep)], Problem = null };
}
