using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Processes;

/// <summary>
/// Brings the node's stack up and keeps its dependencies moving: starts the processes defined to start with the node,
/// then, at every status change here or on a followed node, lets pending processes whose dependencies now hold start
/// (one loop for the node, driven by pushed changes; nothing polls).
/// </summary>
internal sealed class StackRunner(NodeProcesses processes, ILogger<StackRunner> logger) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await processes.StartAutostartAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            logger.LogError(ex, "Starting the stack of node {Node} failed", processes.Node);
        }

        await processes.FollowDependenciesAsync(stoppingToken).ConfigureAwait(false);
    }
}
