namespace Brummer.Cli.Ui;

/// <summary>What a key asks of the world outside the view: the gateway, the log follower, or the program.</summary>
internal abstract record ViewCommand;

/// <summary>run, stop or restart one process.</summary>
internal sealed record ControlProcess(string Node, string Name, string Action) : ViewCommand;

internal sealed record FollowLog(string Node, string Name) : ViewCommand;

internal sealed record StopFollowing : ViewCommand;

internal sealed record Quit : ViewCommand;

/// <summary>The view's keys, as a pure function: (state, key) → (next state, command to carry out, if any).</summary>
internal static class UiKeys
{
    public const string Help = "↑↓ select  r run  s stop  R restart  l/Enter logs  / filter  q quit";
    public const string LogHelp = "Esc back  q quit";

    private const int Page = 10;

    public static (UiState State, ViewCommand? Command) Handle(UiState state, ConsoleKeyInfo key)
    {
        ArgumentNullException.ThrowIfNull(state);
        if (state.Log is not null)
        {
            return key.Key == ConsoleKey.Escape || key.KeyChar == 'l'
                ? (state with { Log = null }, new StopFollowing())
                : key.KeyChar == 'q' ? (state, new Quit()) : (state, null);
        }

        if (state.EditingFilter)
        {
            return EditFilter(state, key);
        }

        return key.Key switch
        {
            ConsoleKey.UpArrow => (Move(state, -1), null),
            ConsoleKey.DownArrow => (Move(state, 1), null),
            ConsoleKey.PageUp => (Move(state, -Page), null),
            ConsoleKey.PageDown => (Move(state, Page), null),
            ConsoleKey.Home => (Move(state, -int.MaxValue / 2), null),
            ConsoleKey.End => (Move(state, int.MaxValue / 2), null),
            ConsoleKey.Enter => OpenLog(state),
            ConsoleKey.Escape when state.Filter.Length > 0 => (state with { Filter = string.Empty }, null),
            _ => key.KeyChar switch
            {
                'k' => (Move(state, -1), null),
                'j' => (Move(state, 1), null),
                'r' => Control(state, "run"),
                's' => Control(state, "stop"),
                'R' => Control(state, "restart"),
                'l' => OpenLog(state),
                '/' => (state with { EditingFilter = true }, null),
                'q' => (state, new Quit()),
                _ => (state, null),
            },
        };
    }

    private static (UiState, ViewCommand?) EditFilter(UiState state, ConsoleKeyInfo key) => key.Key switch
    {
        ConsoleKey.Enter => (state with { EditingFilter = false }, null),
        ConsoleKey.Escape => (state with { EditingFilter = false, Filter = string.Empty }, null),
        ConsoleKey.Backspace => (state with { Filter = state.Filter.Length == 0 ? string.Empty : state.Filter[..^1] }, null),
        ConsoleKey.UpArrow => (Move(state, -1), null),
        ConsoleKey.DownArrow => (Move(state, 1), null),
        _ when !char.IsControl(key.KeyChar) => (state with { Filter = state.Filter + key.KeyChar }, null),
        _ => (state, null),
    };

    private static UiState Move(UiState state, int by)
    {
        var visible = state.Visible;
        if (visible.Count == 0)
        {
            return state;
        }

        var next = (int)Math.Clamp((long)state.SelectedIndex + by, 0, visible.Count - 1);
        return state with { Selected = (visible[next].Node, visible[next].Name) };
    }

    private static (UiState, ViewCommand?) Control(UiState state, string action)
    {
        if (state.SelectedRow is not { } row)
        {
            return (state.Say("Nothing selected.", error: true), null);
        }

        var doing = action switch { "run" => "Starting", "stop" => "Stopping", _ => "Restarting" };
        return (state.Say($"{doing} {row.Name} on {row.Node}…") with { Selected = (row.Node, row.Name) }, new ControlProcess(row.Node, row.Name, action));
    }

    private static (UiState, ViewCommand?) OpenLog(UiState state) =>
        state.SelectedRow is { } row
            ? (state with { Log = new LogView(row.Node, row.Name, []), Selected = (row.Node, row.Name) }, new FollowLog(row.Node, row.Name))
            : (state.Say("Nothing selected.", error: true), null);
}
