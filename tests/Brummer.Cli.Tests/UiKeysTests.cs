using Brummer.Cli.Ui;
using Brummer.Gateway.Contracts;
using Spectre.Console.Testing;
using static Brummer.Cli.Tests.UiSamples;

namespace Brummer.Cli.Tests;

/// <summary>Which command each key of `brummer ui` issues, for which process.</summary>
public sealed class UiKeysTests
{
    private static readonly UiState Loaded = UiState.Initial.With(StatusUpdate.Of(Snapshot()));

    [Fact]
    public void Keys_SelectAndControl_IssueRunStopRestartForTheSelectedProcess()
    {
        var (state, first) = Press(Loaded, Key(ConsoleKey.DownArrow), Key('r'));
        var (_, stop) = Press(state, Key('s'));
        var (_, restart) = Press(state, Key('R'));
        var (top, again) = Press(state, Key(ConsoleKey.UpArrow), Key(ConsoleKey.UpArrow), Key('r'));

        Assert.Equal(new ControlProcess("b", "web", "run"), first);
        Assert.Equal("Starting web on b…", state.Message);
        Assert.Equal(new ControlProcess("b", "web", "stop"), stop);
        Assert.Equal(new ControlProcess("b", "web", "restart"), restart);
        Assert.Equal(new ControlProcess("a", "api", "run"), again);
        Assert.Equal(("a", "api"), top.Selected);
    }

    [Fact]
    public void Keys_Filter_NarrowsTheRowsTheKeysActOn_AndEscClearsIt()
    {
        var (filtered, none) = Press(Loaded, Key('/'), Key('w'), Key('o'), Key('r'), Enter);
        var (_, run) = Press(filtered, Key('r'));
        var (cleared, _) = Press(filtered, Escape);
        var (quitWhileTyping, typed) = Press(Loaded, Key('/'), Key('q'));

        Assert.Null(none); // 'r' while typing is part of the filter, not a run
        Assert.Equal("wor", filtered.Filter);
        Assert.Equal(["worker"], filtered.Visible.Select(r => r.Name));
        Assert.Equal(new ControlProcess("b", "worker", "run"), run);
        Assert.Equal(string.Empty, cleared.Filter);
        Assert.Equal(3, cleared.Visible.Count);
        Assert.Null(typed);
        Assert.Equal("q", quitWhileTyping.Filter);
    }

    [Fact]
    public void Keys_LogAndQuit_OpenTheSelectedProcessOutput_EscReturns_QQuits()
    {
        var (following, follow) = Press(Loaded, Key(ConsoleKey.DownArrow), Enter);
        var (_, followByL) = Press(Loaded, Key('l'));
        var (back, stop) = Press(following, Escape);
        var (_, ignored) = Press(following, Key('r'));
        var (_, quit) = Press(back, Key('q'));

        Assert.Equal(new FollowLog("b", "web"), follow);
        Assert.Equal(new FollowLog("a", "api"), followByL);
        Assert.Equal(("b", "web"), (following.Log!.Node, following.Log.Name));
        Assert.IsType<StopFollowing>(stop);
        Assert.Null(back.Log);
        Assert.Null(ignored);
        Assert.IsType<Quit>(quit);
    }

    [Fact]
    public void Keys_NothingToSelect_SayNothingSelectedAndIssueNothing()
    {
        var (state, command) = Press(UiState.Initial, Key('r'));

        Assert.Null(command);
        Assert.Equal("Nothing selected.", state.Message);
        Assert.True(state.MessageIsError);
    }

    [Fact]
    public async Task App_KeysFromTheConsole_IssueTheCommandToTheGateway_AndQQuits()
    {
        var console = new TestConsole().Width(120).Height(30);
        console.Input.PushKey(ConsoleKey.DownArrow);
        console.Input.PushCharacter('R');
        console.Input.PushCharacter('q');
        var gateway = new RecordingGateway();
        var app = new UiApp(console, new OneSnapshot(Snapshot()), gateway, "http://gw");

        await app.RunAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);

        Assert.Equal([("b", "web", "restart")], gateway.Calls);
        Assert.Equal("restart: web on b", app.State.Message); // the gateway's answer reaches the status line
    }

    private static (UiState State, ViewCommand? Last) Press(UiState state, params ConsoleKeyInfo[] keys)
    {
        ViewCommand? last = null;
        foreach (var key in keys)
        {
            (state, last) = UiKeys.Handle(state, key);
        }

        return (state, last);
    }

    /// <summary>One snapshot at once, then nothing until cancelled: keys arrive after it.</summary>
    private sealed class OneSnapshot(ClusterSnapshot snapshot) : IStatusSource
    {
        public async IAsyncEnumerable<StatusUpdate> WatchAsync([System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
        {
            yield return StatusUpdate.Of(snapshot);
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
    }

    private sealed class RecordingGateway : IGatewayActions
    {
        public List<(string, string, string)> Calls { get; } = [];

        public Task<string> ControlAsync(string node, string name, string action, CancellationToken cancellationToken)
        {
            lock (Calls)
            {
                Calls.Add((node, name, action));
            }

            return Task.FromResult($"{action}: {name} on {node}");
        }

        public Task<LogTailResult> TailAsync(string node, string name, long? afterSeq, CancellationToken cancellationToken) =>
            Task.FromResult(new LogTailResult([], 0));
    }
}
