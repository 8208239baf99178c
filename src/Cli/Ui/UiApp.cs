using Brummer.Client;
using System.Threading.Channels;
using Brummer.Cli.Commands;
using Brummer.Gateway.Contracts;
using Spectre.Console;
using Spectre.Console.Rendering;

namespace Brummer.Cli.Ui;

/// <summary>
/// The live view's loop: one reader of events (status updates, keys, finished actions, followed log lines) that
/// folds each into the <see cref="UiState"/> and redraws. All I/O happens in the pumps around it; the loop itself
/// only applies <see cref="UiKeys"/> and renders <see cref="UiView"/>.
/// </summary>
internal sealed class UiApp(IAnsiConsole console, IStatusSource status, IGatewayActions gateway, string gatewayName)
{
    private static readonly TimeSpan KeyPoll = TimeSpan.FromMilliseconds(20);
    private static readonly TimeSpan LogPoll = TimeSpan.FromMilliseconds(500);

    private readonly Channel<object> _events = Channel.CreateUnbounded<object>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>The state last drawn; for tests that drive the loop.</summary>
    public UiState State { get; private set; } = UiState.Initial;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var pumps = new List<Task> { PumpStatusAsync(stop.Token), PumpKeysAsync(stop.Token) };
        CancellationTokenSource? following = null;
        var fullScreen = console.Profile.Capabilities.Ansi;
        if (fullScreen)
        {
            console.Write(new ControlCode("\u001b[?1049h\u001b[H")); // the alternate screen: the shell's screen comes back as it was
        }

        try
        {
            await console.Live(Frame()).Overflow(VerticalOverflow.Crop).Cropping(VerticalOverflowCropping.Bottom).StartAsync(async live =>
            {
                var size = (console.Profile.Width, console.Profile.Height);
                while (await _events.Reader.WaitToReadAsync(stop.Token))
                {
                    var quit = false;
                    while (_events.Reader.TryRead(out var next))
                    {
                        var command = Apply(next);
                        switch (command)
                        {
                            case Quit:
                                quit = true;
                                break;
                            case ControlProcess control:
                                pumps.Add(ControlAsync(control, stop.Token));
                                break;
                            case FollowLog log:
                                following?.Cancel();
                                following?.Dispose();
                                following = CancellationTokenSource.CreateLinkedTokenSource(stop.Token);
                                pumps.Add(FollowAsync(log, following.Token));
                                break;
                            case StopFollowing:
                                following?.Cancel();
                                break;
                        }
                    }

                    if (quit)
                    {
                        return;
                    }

                    // A resized terminal: start from a clean screen, or the old frame's edges would stay.
                    if (fullScreen && (console.Profile.Width, console.Profile.Height) != size)
                    {
                        size = (console.Profile.Width, console.Profile.Height);
                        console.Write(new ControlCode("\u001b[2J\u001b[H"));
                    }

                    live.UpdateTarget(Frame());
                    live.Refresh();
                }
            });
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // Ctrl+C: leave as q does.
        }
        finally
        {
            await stop.CancelAsync();
            following?.Cancel();
            following?.Dispose();
            if (fullScreen)
            {
                console.Write(new ControlCode("\u001b[?1049l"));
            }

            await Task.WhenAll(pumps.Select(p => p.ContinueWith(_ => { }, TaskScheduler.Default)));
        }
    }

    private IRenderable Frame() => UiView.Render(State, gatewayName, console.Profile.Width, console.Profile.Height);

    private ViewCommand? Apply(object next)
    {
        switch (next)
        {
            case StatusUpdate update:
                State = State.With(update);
                return null;
            case ConsoleKeyInfo key:
                var (state, command) = UiKeys.Handle(State, key);
                State = state;
                return command;
            case ActionDone done:
                State = State.Say(done.Message, done.Failed);
                return null;
            case LogRead read when State.Log is { } log && log.Node == read.Node && log.Name == read.Name:
                State = State with { Log = read.Problem is { } problem ? log with { Problem = problem } : log.Append(read.Lines) };
                return null;
            default:
                return null;
        }
    }

    private async Task PumpStatusAsync(CancellationToken ct)
    {
        await foreach (var update in status.WatchAsync(ct))
        {
            await _events.Writer.WriteAsync(update, ct);
        }
    }

    private async Task PumpKeysAsync(CancellationToken ct)
    {
        // Polled, not awaited: a blocking read cannot be cancelled, and q must not wait for a key after Ctrl+C.
        while (!ct.IsCancellationRequested)
        {
            if (console.Input.IsKeyAvailable() && console.Input.ReadKey(intercept: true) is { } key)
            {
                await _events.Writer.WriteAsync(key, ct);
            }
            else
            {
                await Task.Delay(KeyPoll, ct);
            }
        }
    }

    private async Task ControlAsync(ControlProcess control, CancellationToken ct)
    {
        ActionDone done;
        try
        {
            done = new ActionDone(await gateway.ControlAsync(control.Node, control.Name, control.Action, ct), false);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex) when (ex is HttpRequestException or GatewayCallException or OperationCanceledException or System.Text.Json.JsonException)
        {
            done = new ActionDone($"{control.Action} {control.Name} on {control.Node} failed: {ex.Message}", true);
        }

        await _events.Writer.WriteAsync(done, ct);
    }

    private async Task FollowAsync(FollowLog log, CancellationToken ct)
    {
        long? last = null;
        while (!ct.IsCancellationRequested)
        {
            LogRead read;
            try
            {
                var tail = await gateway.TailAsync(log.Node, log.Name, last, ct);
                last = tail.LastSeq;
                read = new LogRead(log.Node, log.Name, tail.Lines, null);
            }
            catch (OperationCanceledException) when (ct.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is HttpRequestException or GatewayCallException or OperationCanceledException or System.Text.Json.JsonException)
            {
                read = new LogRead(log.Node, log.Name, [], ex.Message);
            }

            if (read.Lines.Count > 0 || read.Problem is not null || last is not null)
            {
                await _events.Writer.WriteAsync(read, ct);
            }

            await Task.Delay(LogPoll, ct);
        }
    }

    private sealed record ActionDone(string Message, bool Failed);

    private sealed record LogRead(string Node, string Name, IReadOnlyList<LogLineDto> Lines, string? Problem);
}
