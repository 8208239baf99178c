using Brummer.Client;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;

namespace Brummer.Cli.Commands;

/// <summary>
/// <c>brummer wait NAME --for ready [--node N] [--timeout 30]</c>: blocks until a script's process reaches a state, for
/// shell scripts and CI steps that would otherwise poll <c>brummer status</c>. Exits 0 once it holds, 1 with the reason
/// when it cannot (the process failed, its node is lost) or at the timeout.
/// </summary>
internal static class WaitCommand
{
    /// <summary>Beyond the wait itself: the gateway's own answer time (a run's control call comes first).</summary>
    private static readonly TimeSpan AnswerMargin = TimeSpan.FromSeconds(60);

    public static Command Create(GatewayAccess gateway, Option<bool> json, Option<string?> node)
    {
        var name = new Argument<string>("NAME") { Description = "The script to wait for (see `brummer scripts`)." };
        var condition = new Option<string>("--for")
        {
            Description = "What to wait for: running; ready (running and its readiness probe passed, or it has none); " +
                "exited (stopped, succeeded or failed after having run); succeeded (exit code 0); failed.",
            Required = true,
        };
        condition.AcceptOnlyFromAmong("running", "ready", "exited", "succeeded", "failed");
        var timeout = TimeoutOption();
        var command = new Command(
            "wait",
            "Waits until a script's process is running, ready, exited, succeeded or failed, and prints it. Exits 1 with the reason " +
            "at the timeout (with its status and what it waits for), or at once when that state cannot come any more (it failed, " +
            "or its node is lost). A script that has not run yet is waited for.")
        {
            name, condition, node, timeout, json,
        };
        command.SetAction((parse, ct) => ClientCommands.Call(gateway, parse, async http =>
        {
            var seconds = parse.GetValue(timeout);
            http.Timeout = AnswerTime(seconds);
            var target = GatewayRequests.ProcessPath(parse.GetValue(name)!, parse.GetValue(node));
            var query = GatewayRequests.Query(("for", parse.GetValue(condition)), ("timeout", seconds?.ToString(CultureInfo.InvariantCulture)));
            var body = await GatewayRequests.GetAsync(http, $"api/processes/{target}/wait{query}", ct);
            if (parse.GetValue(json))
            {
                return body;
            }

            var result = JsonSerializer.Deserialize<WaitResult>(body)!;
            return $"{Describe(result.Process)} ({result.Condition} after {result.WaitedMs / 1000.0:0.0} s)";
        }));
        return command;
    }

    /// <summary>How long the wait may last, for <c>wait</c> and <c>run --wait</c>.</summary>
    public static Option<int?> TimeoutOption() => new("--timeout")
    {
        Description = $"Seconds to wait at most (default {Arguments.DefaultWaitSeconds}, up to {Arguments.MaxWaitSeconds}; 0 looks once).",
    };

    /// <summary>How long the HTTP call may take: the wait, plus the gateway's own time to answer.</summary>
    public static TimeSpan AnswerTime(int? seconds) =>
        TimeSpan.FromSeconds(Math.Clamp(seconds ?? Arguments.DefaultWaitSeconds, 0, Arguments.MaxWaitSeconds)) + AnswerMargin;

    /// <summary>One line for a process: "web on a: running (pid 42), health ready".</summary>
    public static string Describe(ProcessDto process)
    {
        ArgumentNullException.ThrowIfNull(process);
        var text = $"{process.Name} on {process.Node}: {process.Status}";
        if (process.Pid is { } pid && process.Status is "starting" or "running" or "stopping")
        {
            text += $" (pid {pid})";
        }

        if (process.Health != "none")
        {
            text += $", health {process.Health}";
        }

        if (process.ExitCode is { } code && process.Status is "stopped" or "succeeded" or "failed")
        {
            text += $", exit code {code}";
        }

        return process.Reason is { } reason ? $"{text}: {reason}" : text;
    }
}
