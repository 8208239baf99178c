using System.Globalization;
using System.Text;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Waiting;

/// <summary>
/// The one-line answers of a wait that did not end well: what was waited for, what the process is doing instead,
/// and what it waits for itself — so the caller can tell a slow dependency from a crash without another call.
/// </summary>
internal static class WaitMessages
{
    /// <summary>Text from the process (its output, reasons) shown in a message at most this long.</summary>
    private const int Shown = 200;

    /// <summary>The condition can no longer hold: the node is gone, or the process ended in a way that rules it out.</summary>
    public static GatewayException Impossible(NodeView node, string name, ProcessInfo? process, WaitCondition condition, string? started)
    {
        var subject = Subject(node, name, started);
        if (node.IsLost || node.HasLeft)
        {
            var why = node.IsLost ? "is lost (the cluster declared it dead)" : "left the cluster (it was stopped on purpose)";
            return new GatewayException(
                GatewayErrorKind.Unavailable,
                $"Node '{node.Name}' {why}, so {subject} cannot {condition.Goal()} until the node rejoins; {Describe(process)}.");
        }

        var ended = process!.Status == ProcessStatus.Failed
            ? $"failed{ExitCode(process)}{Why(process)}"
            : process.Status == ProcessStatus.Succeeded
                ? $"succeeded{ExitCode(process)}"
                : process.Status.ToWireName();
        return new GatewayException(
            GatewayErrorKind.Conflict,
            $"{subject} {(started is null ? string.Empty : "but ")}{ended}; it will not {condition.Goal()} unless it is run again.");
    }

    public static GatewayException TimedOut(NodeView node, string name, ProcessInfo? process, WaitCondition condition, TimeSpan timeout, string? started, DateTimeOffset now)
    {
        var text = new StringBuilder()
            .Append(Subject(node, name, started))
            .Append(started is null ? " " : " but ")
            .Append(condition.Unmet())
            .Append(CultureInfo.InvariantCulture, $" after {timeout.TotalSeconds:0.#} s: ")
            .Append(Describe(process));
        if (node.State(now) == NodeState.Unresponsive)
        {
            text.Append(CultureInfo.InvariantCulture, $"; node '{node.Name}' is unresponsive (not heard from for {(now - node.ReceivedAt).TotalSeconds:0.0} s)");
        }

        return new GatewayException(GatewayErrorKind.Timeout, text.Append('.').ToString());
    }

    /// <summary>How a wait stands while it lasts (a progress note): the process's state in the same words as a timeout.</summary>
    public static string Progress(NodeView node, string name, ProcessInfo? process, WaitCondition condition) =>
        $"{Subject(node, name, null)} {condition.Unmet()} yet: {Describe(process)}";

    public static GatewayException Stopping(NodeView node, string name, WaitCondition condition, string? started) =>
        new(GatewayErrorKind.Unavailable, $"The gateway is stopping: {Subject(node, name, started)} {(started is null ? string.Empty : "but ")}{condition.Unmet()} and is no longer waited for.");

    private static string Subject(NodeView node, string name, string? started) =>
        started is null ? $"{InputText.Quote(name)} on node '{node.Name}'" : $"{InputText.Quote(name)} on node '{node.Name}' {started}";

    /// <summary>The process's state in the wire's own words: status, health, waiting_for, what it last said.</summary>
    private static string Describe(ProcessInfo? process)
    {
        if (process is null)
        {
            return "it has not run yet";
        }

        var text = new StringBuilder()
            .Append("status ").Append(process.Status.ToWireName())
            .Append(", health ").Append(process.Health.ToWireName());
        if (process.WaitingFor is { Length: > 0 } waitingFor)
        {
            text.Append(", waiting_for: ").Append(Clip(waitingFor));
        }

        if (process.NextRestartAt is { } next)
        {
            text.Append(", next_restart_at ").Append(next.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture));
        }

        if (!process.Status.IsActive() && process.ExitCode is { } code)
        {
            text.Append(CultureInfo.InvariantCulture, $", exit code {code}");
        }

        if (process.Reason is { Length: > 0 } reason)
        {
            text.Append(", reason: ").Append(Clip(reason));
        }
        else if (process.LastLine is { Length: > 0 } line)
        {
            text.Append(", last line: ").Append(Clip(line));
        }

        return text.ToString();
    }

    private static string ExitCode(ProcessInfo process) => process.ExitCode is { } code ? $" (exit code {code})" : string.Empty;

    private static string Why(ProcessInfo process) =>
        process.Reason is { Length: > 0 } reason ? $": {Clip(reason)}"
        : process.LastLine is { Length: > 0 } line ? $", last line: {Clip(line)}"
        : string.Empty;

    /// <summary>Process text on one line, cut to <see cref="Shown"/> characters.</summary>
    private static string Clip(string text)
    {
        var shown = text.Length <= Shown ? text : string.Concat(text.AsSpan(0, Shown), "…");
        return string.Create(shown.Length, shown, static (span, source) =>
        {
            for (var i = 0; i < source.Length; i++)
            {
                span[i] = char.IsControl(source[i]) ? ' ' : source[i];
            }
        });
    }
}
