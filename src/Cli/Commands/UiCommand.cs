using System.CommandLine;
using System.Runtime.InteropServices;
using Brummer.Cli.Ui;
using Spectre.Console;

namespace Brummer.Cli.Commands;

/// <summary><c>brummer ui</c>: every process on every node, live, with keys to run, stop, restart, follow output and filter.</summary>
internal static class UiCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(5);

    public static Command Create(GatewayAccess gateway)
    {
        var command = new Command(
            "ui",
            "A live full-screen view of every process on every node: ↑↓ select, r run, s stop, R restart, l or Enter follow its output (Esc back), / filter, q quit.");
        command.SetAction(async (parse, ct) =>
        {
            if (Console.IsInputRedirected || Console.IsOutputRedirected)
            {
                return CommandOutput.Fail("`brummer ui` needs a terminal; in scripts use `brummer status` (or --json).");
            }

            // The parser leaves Ctrl+C and SIGTERM alone (Program.cs): here they must end the view as q does, so the
            // terminal gets its screen and cursor back instead of being left in the view's alternate screen.
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(ct);
            using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, Stop);
            using var terminate = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Stop);
            using var http = gateway.CreateClient(parse);
            var console = AnsiConsole.Console;
            var app = new UiApp(console, new PollingStatusSource(http, PollInterval, RequestTimeout), new HttpGatewayActions(http), http.BaseAddress!.ToString().TrimEnd('/'));
            await app.RunAsync(stop.Token);
            return 0;

            void Stop(PosixSignalContext signal)
            {
                signal.Cancel = true;
                stop.Cancel();
            }
        });
        return command;
    }
}
