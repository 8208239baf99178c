using System.CommandLine;
using System.Net;
using Brummer.Clustering;
using Brummer.Gateway;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Brummer.Cli.Commands;

internal static class GatewayCommand
{
    public static Command Create()
    {
        var cluster = ClusterCommandOptions.Cluster();
        var clusterId = ClusterCommandOptions.ClusterId();
        var port = new Option<int>("--port", "-p")
        {
            Description = "HTTP port: MCP at /mcp, JSON API at /api.",
            DefaultValueFactory = _ => GatewayExtensions.DefaultPort,
            Validators = { Validate.Port("--port", allowZero: true) },
        };
        var bind = new Option<IPAddress>("--bind")
        {
            Description = "Address the gateway listens on. Loopback by default; any other exposes every script of the cluster to the network and needs a token file (--tokens) or --insecure.",
            DefaultValueFactory = _ => IPAddress.Loopback,
            CustomParser = result => ClusterCommandOptions.ParseAddress(result, "--bind"),
        };

        var command = new Command(
            "gateway",
            "Serves MCP (/mcp) and the JSON API (/api) for every node of a cluster. It runs no scripts itself and answers " +
            "status from a cache the nodes push to; several gateways may serve one cluster.")
        {
            cluster, clusterId, port, bind,
        };
        var hosting = new GatewayHostingOptions();
        foreach (var option in hosting.All)
        {
            command.Options.Add(option);
        }

        command.SetAction((parse, ct) =>
        {
            var address = parse.GetValue(bind)!;
            GatewaySecurity security;
            try
            {
                security = hosting.Read(parse, address);
            }
            catch (ArgumentException ex)
            {
                return Task.FromResult(CommandOutput.Fail(ex.Message));
            }

            return RunAsync(new GatewayRunOptions(parse.GetValue(cluster)!, parse.GetValue(clusterId)!, address, parse.GetValue(port), security), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(GatewayRunOptions options, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            await ClusterPreparation.PrepareAsync(options.Cluster, cancellationToken);
            app = ClusterHosts.BuildGateway(options);
        }
        catch (ClusterUnavailableException ex)
        {
            return CommandOutput.Fail(ex.Message);
        }

        await using (app)
        {
            try
            {
                Console.WriteLine($"Gateway connecting to cluster '{options.ClusterId}' at {options.Cluster}...");
                await app.StartAsync(cancellationToken);
                await app.Services.WaitForClusterViewAsync(cancellationToken);
            }
            catch (Exception ex) when (NodeCommand.IsAddressInUse(ex))
            {
                return CommandOutput.Fail($"port {options.Port} on {options.Bind} is already in use (another gateway?). Pass --port to use another.");
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return 130;
            }

            EmbeddedCluster.PrintAccess(EmbeddedCluster.ListeningUrl(app), options.Bind, options.Security);
            Console.WriteLine("Press Ctrl+C to stop the gateway (the nodes and their scripts keep running).");
            await app.WaitForShutdownAsync(CancellationToken.None);
            return 0;
        }
    }
}
