using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Processes;
using Brummer.Grains.Status;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Brummer.Grains;

/// <summary>Registers what a node needs beside its grains: the catalog, the status table, the supervisors.</summary>
public static class NodeServiceCollectionExtensions
{
    public static IServiceCollection AddBrummerNode(this IServiceCollection services, string node, string address, ScriptCatalog catalog, ProcessOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        services.AddSingleton(catalog);
        services.AddSingleton(options ?? new ProcessOptions());
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new NodeStatusTable(
            node,
            address,
            catalog.Scripts.Select(s => new ScriptInfo(node, s.Name, s.Command, s.Source)),
            sp.GetRequiredService<TimeProvider>()));
        services.AddSingleton<ProcessWatchdog>();
        services.AddSingleton<NodeProcesses>();
        services.AddSingleton<StatusSubscriptions>();
        services.AddHostedService<StatusPublisher>();
        return services;
    }

    /// <summary>
    /// Stops every process of the node when the host stops. Register it after Orleans: hosted services stop in
    /// reverse order, so the processes are gone before the silo shuts down.
    /// </summary>
    public static IServiceCollection AddBrummerNodeShutdown(this IServiceCollection services) =>
        services.AddHostedService<NodeShutdown>();

    private sealed class NodeShutdown(NodeProcesses processes) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        // Not bound to the host's shutdown token: leaving processes behind is worse than a slower exit.
        public Task StopAsync(CancellationToken cancellationToken) => processes.StopAllAsync(CancellationToken.None);
    }
}
