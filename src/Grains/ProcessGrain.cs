using Brummer.Grains.Abstractions;
using Brummer.Grains.Placement;
using Brummer.Grains.Processes;

namespace Brummer.Grains;

/// <summary>
/// One script on one node. The grain serializes run/stop/restart; the <see cref="ProcessSupervisor"/> it drives
/// owns the OS process and publishes state, so reads never come through here.
/// </summary>
[NodePinnedPlacement]
public sealed class ProcessGrain(NodeProcesses processes, NodeAudit audit) : Grain, IProcessGrain
{
    private ProcessSupervisor? _supervisor;

    public override Task OnActivateAsync(CancellationToken cancellationToken)
    {
        var key = ProcessKey.Parse(this.GetPrimaryKeyString());
        if (key.Node == processes.Node && processes.TryGet(key.Script, out var supervisor))
        {
            _supervisor = supervisor;
        }

        return Task.CompletedTask;
    }

    public Task<RunResult> RunAsync(ControlDeadline? deadline, CancellationToken cancellationToken) =>
        RecordedAsync("run", () => processes.RunAsync(Supervisor.Name, deadline ?? ControlDeadline.None, cancellationToken), r => r.AlreadyRunning ? "already running" : "ok");

    public Task<ProcessInfo> StopAsync(ControlDeadline? deadline, CancellationToken cancellationToken) =>
        RecordedAsync("stop", async () => await Supervisor.StopAsync(deadline ?? ControlDeadline.None, cancellationToken)
            ?? throw new InvalidOperationException($"'{Supervisor.Name}' on node '{processes.Node}' has never run."));

    public Task<ProcessInfo> RestartAsync(ControlDeadline? deadline, CancellationToken cancellationToken) =>
        RecordedAsync("restart", () => Supervisor.RestartAsync(deadline ?? ControlDeadline.None, cancellationToken));

    public Task<ClaimAnswer> ClaimAsync(TimeSpan duration, string? note)
    {
        var supervisor = Supervisor;
        if (duration <= TimeSpan.Zero || duration > ProcessClaim.MaxDuration)
        {
            throw new ArgumentException($"A claim lasts more than 0 and at most {ProcessClaim.MaxDuration.TotalMinutes:0} minutes; got {duration.TotalMinutes:0.###}.");
        }

        if (note is { Length: > ProcessClaim.MaxNoteLength })
        {
            throw new ArgumentException($"A claim's note has at most {ProcessClaim.MaxNoteLength} characters; got {note.Length}.");
        }

        var (by, forcedOver) = Admit("claim");
        var at = audit.Now;
        var claim = new ProcessClaim(by, at + duration, string.IsNullOrWhiteSpace(note) ? null : note, at);
        var process = supervisor.SetClaim(claim);
        audit.Record(new AuditEntry(at, by, "claim", processes.Node, supervisor.Name, $"ok: {claim.Describe()}", forcedOver));
        return Task.FromResult(new ClaimAnswer(claim, process));
    }

    public Task<ClaimAnswer> ReleaseAsync()
    {
        var supervisor = Supervisor;
        var (by, forcedOver) = Admit("release");
        var released = supervisor.Claim;
        var process = released is null ? supervisor.Current : supervisor.SetClaim(null);
        audit.Record(new AuditEntry(audit.Now, by, "release", processes.Node, supervisor.Name, released is null ? "not claimed" : $"ok: was {released.Describe()}", forcedOver));
        return Task.FromResult(new ClaimAnswer(released, process));
    }

    /// <summary>
    /// Carries out a control action and records it in the node's audit, with whoever the caller named in the request
    /// context; status shows it as the process's last action from the moment it begins.
    /// </summary>
    private async Task<T> RecordedAsync<T>(string action, Func<Task<T>> act, Func<T, string>? outcome = null)
    {
        var supervisor = Supervisor;
        var (by, forcedOver) = Admit(action);
        var at = audit.Now;
        supervisor.NoteAction(new ProcessAction(by, action, at));
        try
        {
            var result = await act();
            audit.Record(new AuditEntry(at, by, action, processes.Node, supervisor.Name, outcome?.Invoke(result) ?? "ok", forcedOver));
            return result;
        }
        catch (Exception ex)
        {
            audit.Record(new AuditEntry(at, by, action, processes.Node, supervisor.Name, $"failed: {ex.Message}", forcedOver));
            throw;
        }
        finally
        {
            KeepAliveWhileRunning();
        }
    }

    /// <summary>
    /// Who asks (as the request context names them), and whose claim they act over: none when the process is not
    /// claimed or the caller holds the claim. Someone else's claim refuses the action, recorded as refused, unless
    /// the caller forces it.
    /// </summary>
    private (string By, string? ForcedOver) Admit(string action)
    {
        var by = Orleans.Runtime.RequestContext.Get(ControlActor.Key) as string ?? ControlActor.Node;
        if (Supervisor.Claim is not { } claim || string.Equals(claim.By, by, StringComparison.Ordinal))
        {
            return (by, null);
        }

        if (Orleans.Runtime.RequestContext.Get(ControlActor.ForceKey) is true)
        {
            return (by, claim.By);
        }

        audit.Record(new AuditEntry(audit.Now, by, action, processes.Node, Supervisor.Name, $"refused: {claim.Describe()}"));
        throw ProcessClaimedException.For(processes.Node, Supervisor.Name, claim);
    }

    private ProcessSupervisor Supervisor => _supervisor ?? throw new ArgumentException(
        $"'{this.GetPrimaryKeyString()}' is not a script of node '{processes.Node}'. Scripts: {string.Join(", ", processes.ScriptNames)}.");

    // The process outlives any single call; keep the activation (and its place in the directory) while it runs.
    private void KeepAliveWhileRunning() =>
        DelayDeactivation(Supervisor.IsActive ? Timeout.InfiniteTimeSpan : TimeSpan.Zero);
}
