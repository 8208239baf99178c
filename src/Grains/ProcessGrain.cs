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

    /// <summary>
    /// Carries out a control action and records it in the node's audit, with whoever the caller named in the request
    /// context; status shows it as the process's last action from the moment it begins.
    /// </summary>
    private async Task<T> RecordedAsync<T>(string action, Func<Task<T>> act, Func<T, string>? outcome = null)
    {
        var supervisor = Supervisor;
        var by = Orleans.Runtime.RequestContext.Get(ControlActor.Key) as string ?? ControlActor.Node;
        var at = audit.Now;
        supervisor.NoteAction(new ProcessAction(by, action, at));
        try
        {
            var result = await act();
            audit.Record(new AuditEntry(at, by, action, processes.Node, supervisor.Name, outcome?.Invoke(result) ?? "ok"));
            return result;
        }
        catch (Exception ex)
        {
            audit.Record(new AuditEntry(at, by, action, processes.Node, supervisor.Name, $"failed: {ex.Message}"));
            throw;
        }
        finally
        {
            KeepAliveWhileRunning();
        }
    }

    private ProcessSupervisor Supervisor => _supervisor ?? throw new ArgumentException(
        $"'{this.GetPrimaryKeyString()}' is not a script of node '{processes.Node}'. Scripts: {string.Join(", ", processes.ScriptNames)}.");

    // The process outlives any single call; keep the activation (and its place in the directory) while it runs.
    private void KeepAliveWhileRunning() =>
        DelayDeactivation(Supervisor.IsActive ? Timeout.InfiniteTimeSpan : TimeSpan.Zero);
}
