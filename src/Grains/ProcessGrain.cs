using Brummer.Grains.Abstractions;
using Brummer.Grains.Placement;
using Brummer.Grains.Processes;

namespace Brummer.Grains;

/// <summary>
/// One script on one node. The grain serializes run/stop/restart; the <see cref="ProcessSupervisor"/> it drives
/// owns the OS process and publishes state, so reads never come through here.
/// </summary>
[NodePinnedPlacement]
public sealed class ProcessGrain(NodeProcesses processes) : Grain, IProcessGrain
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

    public async Task<RunResult> RunAsync(ControlDeadline? deadline, CancellationToken cancellationToken)
    {
        var result = await processes.RunAsync(Supervisor.Name, deadline ?? ControlDeadline.None, cancellationToken);
        KeepAliveWhileRunning();
        return result;
    }

    public async Task<ProcessInfo> StopAsync(ControlDeadline? deadline, CancellationToken cancellationToken)
    {
        var stopped = await Supervisor.StopAsync(deadline ?? ControlDeadline.None, cancellationToken);
        KeepAliveWhileRunning();
        return stopped ?? throw new InvalidOperationException($"'{Supervisor.Name}' on node '{processes.Node}' has never run.");
    }

    public async Task<ProcessInfo> RestartAsync(ControlDeadline? deadline, CancellationToken cancellationToken)
    {
        var restarted = await Supervisor.RestartAsync(deadline ?? ControlDeadline.None, cancellationToken);
        KeepAliveWhileRunning();
        return restarted;
    }

    private ProcessSupervisor Supervisor => _supervisor ?? throw new ArgumentException(
        $"'{this.GetPrimaryKeyString()}' is not a script of node '{processes.Node}'. Scripts: {string.Join(", ", processes.ScriptNames)}.");

    // The process outlives any single call; keep the activation (and its place in the directory) while it runs.
    private void KeepAliveWhileRunning() =>
        DelayDeactivation(Supervisor.IsActive ? Timeout.InfiniteTimeSpan : TimeSpan.Zero);
}
