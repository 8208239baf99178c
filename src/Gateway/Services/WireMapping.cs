using Brummer.Gateway.Contracts;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Services;

/// <summary>
/// From the cluster's model (grain contracts, the cache's views) to the wire contract (Contracts/): the one place
/// that knows both, so the DTOs depend on neither and either side can change without touching the other.
/// </summary>
internal static class WireMapping
{
    public static ScriptDto ToDto(this ScriptInfo script) => new(script.Node, script.Name, script.Command, script.Source);

    /// <param name="nodeNow">The node's time now, when known: a claim that has lapsed by then is not shown.</param>
    public static ProcessDto ToDto(this ProcessInfo p, DateTimeOffset? nodeNow = null) => new(
        p.Node,
        p.Name,
        p.Status.ToWireName(),
        p.Pid,
        p.StartedAt?.UtcDateTime,
        p.ExitedAt?.UtcDateTime,
        p.ExitCode,
        p.Restarts,
        p.LastLine,
        p.Reason,
        p.ErrorCount,
        p.Urls ?? [],
        p.Health.ToWireName(),
        p.WaitingFor,
        p.NextRestartAt?.UtcDateTime)
    {
        Run = p.Run,
        LastAction = p.LastAction is { } a ? new LastActionDto(a.By, a.Action, a.At.UtcDateTime) : null,
        Claim = p.Claim is { } c && (nodeNow is not { } now || c.HoldsAt(now)) ? c.ToDto() : null,
    };

    public static ClaimDto ToDto(this ProcessClaim claim) => new(claim.By, claim.Until.UtcDateTime, claim.Note, claim.At.UtcDateTime);

    public static NodeFreshnessDto ToFreshnessDto(this NodeView node, DateTimeOffset now) => new(node.Name, node.StatusAt(now), node.ReceivedAt.UtcDateTime);

    public static NodeDto ToDto(this NodeView node, DateTimeOffset now) =>
        new(node.Name, node.Address, node.StatusAt(now), node.Counts, node.ReceivedAt.UtcDateTime, Math.Max(0, (long)(now - node.ReceivedAt).TotalMilliseconds), node.DefinitionsError);

    /// <summary>The membership store's health from the degradation reason the nodes report (null: healthy).</summary>
    public static MembershipDto ToMembershipDto(this string? degraded) => degraded is null ? new("ok", null) : new("degraded", degraded);

    public static LogLineDto ToDto(this LogEntry line) => new(line.Node, line.Script, line.Sequence, line.Time.UtcDateTime, line.Stream, line.Text);

    public static ErrorDto ToDto(this ErrorReport error) =>
        new(error.Node, error.Script, error.Kind, error.FirstLine, error.Block, error.FirstSeen.UtcDateTime, error.LastSeen.UtcDateTime, error.Count, error.Run);

    public static ReloadDto ToDto(this ReloadResult reload) =>
        new(reload.Node, reload.Added, reload.Removed, reload.Changed, reload.Restarted, reload.Held ?? [], reload.Error);

    /// <param name="now">The node's time now: a run still going has run until then.</param>
    public static RunDto ToDto(this RunRecord run, DateTimeOffset now) => new(
        run.Run,
        run.StartedAt.UtcDateTime,
        run.EndedAt?.UtcDateTime,
        Math.Max(0, (long)((run.EndedAt ?? now) - run.StartedAt).TotalMilliseconds),
        run.Outcome.ToWireName(),
        run.ExitCode,
        run.ErrorCount,
        run.StartedBy,
        run.Trigger,
        run.Reason);

    public static AuditDto ToDto(this AuditEntry entry) => new(entry.At.UtcDateTime, entry.By, entry.Action, entry.Node, entry.Script, entry.Outcome) { ForcedOver = entry.ForcedOver };

    public static UrlDto ToDto(this UrlReport url) => new(url.Node, url.Script, url.Url, url.FirstSeen.UtcDateTime);
}
