using System.ComponentModel;
using System.Diagnostics.CodeAnalysis;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>MCP tools over the output of every process on every node: search, follow, errors, URLs.</summary>
[McpServerToolType]
public sealed class LogTools(LogsService logs)
{
    [McpServerTool(Name = "logs_search", ReadOnly = true, UseStructuredContent = true)]
    [Description("Finds lines processes printed, newest first, across every node (or one). Plain text match by default (case-insensitive); regex: true for a .NET regular expression (run with a time limit). Colour codes are ignored when matching. The limit applies per node, then results are merged.")]
    public Task<LogSearchResult> Search(
        [Description("Text to find, or a regular expression with regex: true.")] string query,
        [Description("Treat query as a regular expression.")] bool regex = false,
        [Description("Only this script's output.")] string? name = null,
        [Description("Only this node.")] string? node = null,
        [Description("Only stdout or stderr.")] string? stream = null,
        [Description("Only lines since then: ISO-8601 (2026-11-28T09:30:00Z) or a duration back from now (90s, 10m, 2h, 1d).")] string? since = null,
        [Description("Most lines to return (default 100, 1 to 1000).")] int? limit = null,
        CancellationToken cancellationToken = default) =>
        logs.SearchAsync(query, regex, name, node, stream, since, limit, cancellationToken);

    [McpServerTool(Name = "logs_tail", ReadOnly = true, UseStructuredContent = true)]
    [SuppressMessage("Naming", "CA1707:Identifiers should not contain underscores", Justification = "The parameter name is the MCP argument name: snake_case like the whole contract.")]
    [Description("The last lines of one script's output, oldest first. To follow a process, call it again with after_seq set to the last_seq of the previous answer: you get only the lines printed since (none if nothing new).")]
    public Task<LogTailResult> Tail(
        [Description("The script name.")] string name,
        [Description(ScriptTools.NodeDescription)] string? node = null,
        [Description("How many of the last lines (default 100, 1 to 1000).")] int? lines = null,
        [Description("Only lines after this sequence number (the last_seq of a previous answer).")] long? after_seq = null,
        CancellationToken cancellationToken = default) =>
        logs.TailAsync(name, node, lines, after_seq, cancellationToken);

    [McpServerTool(Name = "errors_list", ReadOnly = true, UseStructuredContent = true)]
    [Description("Errors processes printed, across every node: each with its whole block (message and stack trace), the script and node, the run that printed it, when it first and last appeared, and how many times the same error recurred. Oldest first, so the first error of each failing process comes first. " +
        "By default only each process's current (or last) run: errors a fix removed are gone once the process runs again. run: N for an earlier run of one script (scripts_history lists them), all: true for every run. " +
        "Recognises Node.js/JS stack traces, TypeScript compiler errors, .NET exceptions, Python tracebacks, Go and Rust panics, Java exceptions.")]
    public Task<ErrorsResult> Errors(
        [Description("Only this script's errors.")] string? name = null,
        [Description("Only this node.")] string? node = null,
        [Description("Most errors to return (default 20, 1 to 1000).")] int? limit = null,
        [Description("Only this run of the script (needs name): its run number, as in scripts_history. Omit for the current run.")] int? run = null,
        [Description("Every run's errors, not only the current run's.")] bool all = false,
        CancellationToken cancellationToken = default) =>
        logs.ErrorsAsync(name, node, limit, run, all, cancellationToken);

    [McpServerTool(Name = "urls_list", ReadOnly = true, UseStructuredContent = true)]
    [Description("URLs processes printed (dev servers announcing where they listen), once per origin, with node and script; 0.0.0.0 and [::] are rewritten to localhost.")]
    public Task<UrlsResult> Urls(
        [Description("Only this node.")] string? node = null,
        CancellationToken cancellationToken = default) =>
        logs.UrlsAsync(node, cancellationToken);
}
