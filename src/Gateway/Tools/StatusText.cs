using System.Globalization;
using System.Text;
using Brummer.Gateway.Contracts;

namespace Brummer.Gateway.Tools;

/// <summary>
/// The text block of a <c>scripts_status</c> answer: one line per process, for agents that read text rather than
/// structured content. The structured content carries every field; repeating it as escaped JSON text tripled the
/// size of the answer and most of the CPU both ends spent on it (docs/benchmarks.md, cluster load).
/// </summary>
internal static class StatusText
{
    /// <param name="narrowed">The answer was filtered, so an empty one means nothing matched, not nothing ran.</param>
    public static string Render(StatusResult result, bool narrowed = false)
    {
        var text = new StringBuilder(64 + (result.Processes.Count * 96));
        text.Append(CultureInfo.InvariantCulture, $"as_of {Time(result.AsOf)}; nodes:");
        foreach (var node in result.Nodes)
        {
            text.Append(CultureInfo.InvariantCulture, $" {node.Name} {node.Status} (heard {Time(node.AsOf)})");
        }

        text.Append(CultureInfo.InvariantCulture, $"; cursor {result.Cursor}\n");
        if (result.Processes.Count == 0)
        {
            text.Append(narrowed ? "no process matches\n" : "no process has run yet (scripts_list shows what can run)\n");
        }

        foreach (var p in result.Processes)
        {
            text.Append(CultureInfo.InvariantCulture, $"{p.Node}/{p.Name} {p.Status}");
            if (p.Health != "none")
            {
                text.Append(' ').Append(p.Health);
            }

            if (p.Pid is { } pid)
            {
                text.Append(CultureInfo.InvariantCulture, $" pid {pid}");
            }

            if (p.ExitCode is { } code)
            {
                text.Append(CultureInfo.InvariantCulture, $" exit {code}");
            }

            if (p.Restarts > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" restarts {p.Restarts}");
            }

            if (p.StartedAt is { } started)
            {
                text.Append(CultureInfo.InvariantCulture, $" started {Time(started)}");
            }

            if (p.ExitedAt is { } exited)
            {
                text.Append(CultureInfo.InvariantCulture, $" exited {Time(exited)}");
            }

            if (p.ErrorCount > 0)
            {
                text.Append(CultureInfo.InvariantCulture, $" errors {p.ErrorCount}");
            }

            foreach (var url in p.Urls)
            {
                text.Append(' ').Append(url);
            }

            if (p.WaitingFor is { Length: > 0 } waiting)
            {
                text.Append(" waiting for ").Append(waiting);
            }

            if (p.NextRestartAt is { } next)
            {
                text.Append(CultureInfo.InvariantCulture, $" next restart {Time(next)}");
            }

            if (p.Reason is { Length: > 0 } reason)
            {
                text.Append(CultureInfo.InvariantCulture, $" ({reason})");
            }

            if (p.LastLine is { Length: > 0 } line)
            {
                text.Append(" | ").Append(line);
            }

            text.Append('\n');
        }

        return text.ToString();
    }

    private static string Time(DateTime time) => time.ToString("yyyy-MM-ddTHH:mm:ss.fffZ", CultureInfo.InvariantCulture);
}
