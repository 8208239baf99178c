using System.CommandLine;
using System.Net;
using Brummer.Clustering;
using Brummer.Clustering.Tls;
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

        var tls = new TlsCommandOptions();
        tls.AddTo(command);
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

            return RunAsync(new GatewayRunOptions(parse.GetValue(cluster)!, parse.GetValue(clusterId)!, address, parse.GetValue(port), security), tls.Files(parse), ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(GatewayRunOptions options, ClusterTlsFiles? tlsFiles, CancellationToken cancellationToken)
    {
        if (ListenPort.IsTaken(options.Bind, options.Port))
        {
            return PortInUse(options);
        }

        ClusterTls? tls = null;
        WebApplication app;
        try
        {
            // Files first: a wrong path is found before any network is touched.
            tls = tlsFiles is null ? null : ClusterTls.Load(tlsFiles);
            options = options with { Tls = tls };
            await ClusterPreparation.PrepareAsync(options.Cluster, cancellationToken);
            app = ClusterHosts.BuildGateway(options);
        }
        catch (Exception ex) when (ex is ClusterUnavailableException or ClusterTlsException)
        {
            tls?.Dispose();
            return CommandOutput.Fail(ex.Message);
        }

        using (tls)
        await using (app)
        {
            try
            {
                Console.WriteLine($"Gateway connecting to cluster '{options.ClusterId}' at {options.Cluster}...");
                Console.WriteLine(ClusterHosts.TlsBanner(options.Tls));
                await app.StartAsync(cancellationToken);
                await app.Services.WaitForClusterViewAsync(cancellationToken);
            }
            catch (ClusterRefusedException ex)
            {
                return CommandOutput.Fail(ex.Message);
            }
            catch (Exception ex) when (NodeCommand.IsAddressInUse(ex))
            {
                return PortInUse(options);
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

    private static int PortInUse(GatewayRunOptions options) =>
        CommandOutput.Fail($"port {options.Port} on {options.Bind} is already in use (another gateway?). Pass --port to use another.");
}
