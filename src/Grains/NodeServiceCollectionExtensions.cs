using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Processes;
using Brummer.Grains.Status;
using Brummer.Grains.Status.Push;
using Brummer.Grains.Telemetry;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains;

/// <summary>Registers what a node needs beside its grains: the catalog, the status table, the supervisors.</summary>
public static class NodeServiceCollectionExtensions
{
    /// <param name="gatewayEndpoint">Where gateways reach this node's Orleans client gateway (host:port); they call the node there directly.</param>
    /// <param name="outputLogs">Where the scripts' output goes as OpenTelemetry logs; null: it stays on the node.</param>
    /// <param name="reader">Reads the node's definition files again (reload); null: the catalog is all there is, and files are not watched.</param>
    /// <param name="pushPort">Where gateways open push connections to this node; null: its changes reach them as Orleans observer calls only.</param>
    public static IServiceCollection AddBrummerNode(
        this IServiceCollection services,
        string node,
        string address,
        ScriptCatalog catalog,
        ProcessOptions? options = null,
        string? gatewayEndpoint = null,
        DefinitionsReader? reader = null,
        ScriptLogExportOptions? outputLogs = null,
        StatusPushPort? pushPort = null)
    {
        ArgumentNullException.ThrowIfNull(catalog);
        services.AddSingleton(catalog);
        services.AddSingleton(reader ?? (() => catalog));
        services.AddSingleton<DefinitionsReload>();
        if (reader is not null)
        {
            services.AddHostedService<DefinitionsWatcher>();
        }

        options ??= new ProcessOptions();
        services.AddSingleton(options);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(sp => new NodeStatusTable(
            node,
            address,
            catalog.Scripts.Select(s => s.ToInfo(node)),
            sp.GetRequiredService<TimeProvider>(),
            gatewayEndpoint,
            options.StopAllowance,
            pushPort?.Endpoint.ToString()));
        services.AddMetrics();
        services.AddSingleton(sp => new NodeMetrics(sp.GetRequiredService<IMeterFactory>(), node));
        if (outputLogs is not null)
        {
            // Registered before the node's other services: hosted services stop in reverse order, so what the
            // processes printed while they were being stopped is still sent.
            services.AddSingleton(sp => ActivatorUtilities.CreateInstance<ScriptLogExporter>(sp, outputLogs, node));
            services.AddHostedService(sp => sp.GetRequiredService<ScriptLogExporter>());
        }

        services.AddSingleton(sp => new NodeTelemetry(sp.GetRequiredService<NodeMetrics>(), sp.GetService<ScriptLogExporter>()));
        services.AddSingleton<ProcessWatchdog>();
        services.AddSingleton<RemoteProcesses>();
        services.AddSingleton<IRemoteProcesses>(sp => sp.GetRequiredService<RemoteProcesses>());
        services.AddHostedService(sp => sp.GetRequiredService<RemoteProcesses>());
        services.AddSingleton<NodeProcesses>();
        services.AddSingleton<NodeAudit>();
        services.AddSingleton<StatusSubscriptions>();
        services.AddHostedService<StatusPublisher>();
        if (pushPort is not null)
        {
            // Before the shutdown service (hosted services stop in reverse): the goodbye still goes over these connections.
            services.AddSingleton(pushPort);
            services.AddHostedService<StatusPushListener>();
        }

        services.AddHostedService<StackRunner>();
        return services;
    }

    /// <summary>
    /// Stops every process of the node when the host stops. Register it after Orleans: hosted services stop in
    /// reverse order, so the processes are gone before the silo shuts down.
    /// </summary>
    public static IServiceCollection AddBrummerNodeShutdown(this IServiceCollection services) =>
        services.AddHostedService<NodeShutdown>();

    private sealed class NodeShutdown(NodeProcesses processes, IGrainFactory grains, ILogger<NodeShutdown> logger) : IHostedService
    {
        /// <summary>How long gateways get to take the goodbye; a gateway that is gone must not hold up the exit.</summary>
        private static readonly TimeSpan FarewellLimit = TimeSpan.FromSeconds(3);

        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public async Task StopAsync(CancellationToken cancellationToken)
        {
            // A host told to stop with its time already up is being torn down, not shut down: no goodbye then, so
            // gateways see what they would see of a crash (the node lost).
            var graceful = !cancellationToken.IsCancellationRequested;

            // Not bound to the host's shutdown token: leaving processes behind is worse than a slower exit.
            await processes.StopAllAsync(CancellationToken.None);
            if (!graceful)
            {
                return;
            }

            // Then say goodbye with the final states, so gateways show the node 'left' (not 'lost') and its processes
            // as they ended ('stopped', 'succeeded', ...).
            try
            {
                await grains.GetGrain<INodeGrain>(processes.Node).LeaveAsync().WaitAsync(FarewellLimit, CancellationToken.None);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogDebug(ex, "Telling gateways node {Node} is leaving failed; they will see it lost instead", processes.Node);
            }
        }
    }
}
