using System.CommandLine;
using System.Net;
using Brummer.Clustering;
using Brummer.Clustering.Tls;
using Brummer.Grains.Discovery;
using Brummer.Grains.Status.Push;
using Brummer.Grains.Telemetry;
using Brummer.Silo;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Orleans.Runtime.MembershipService;

namespace Brummer.Cli.Commands;

internal static class NodeCommand
{
    public static Command Create()
    {
        var name = new Option<string>("--name", "-n")
        {
            Description = "This node's name: unique in the cluster; scripts are addressed as NAME/script.",
            DefaultValueFactory = _ => NodeHostOptions.DefaultName,
            Validators = { Validate.Name("--name") },
        };
        var dir = new Option<DirectoryInfo>("--dir", "-d")
        {
            Description = "Project directory whose package.json scripts this node runs.",
            DefaultValueFactory = _ => new DirectoryInfo(Environment.CurrentDirectory),
        };
        var cluster = ClusterCommandOptions.Cluster();
        var clusterId = ClusterCommandOptions.ClusterId();
        var advertise = new Option<IPAddress>("--advertise")
        {
            Description = "Address other nodes and gateways reach this node at (IP or host name); the node listens on it only. " +
                "Loopback by default: pass the machine's LAN address to join nodes on other machines.",
            DefaultValueFactory = _ => IPAddress.Loopback,
            CustomParser = result => ClusterCommandOptions.ParseAddress(result, "--advertise"),
        };
        var siloPort = new Option<int>("--silo-port")
        {
            Description = "Port for node-to-node traffic (0 picks a free one).",
            DefaultValueFactory = _ => ClusterConnection.DefaultSiloPort,
            Validators = { Validate.Port("--silo-port", allowZero: true) },
        };
        var gatewayPort = new Option<int>("--gateway-port")
        {
            Description = "Port gateways (Orleans clients) connect to (0 picks a free one).",
            DefaultValueFactory = _ => ClusterConnection.DefaultGatewayPort,
            Validators = { Validate.Port("--gateway-port", allowZero: true) },
        };
        var pushPort = new Option<int>("--push-port")
        {
            Description = "Port gateways open push connections to: the node's status changes, which a gateway reads on a " +
                "thread of its own so they never wait behind its requests (0, the default, picks a free one; a gateway " +
                "that cannot reach it gets the changes over the gateway port instead).",
            DefaultValueFactory = _ => 0,
            Validators = { Validate.Port("--push-port", allowZero: true) },
        };
        var stopTimeout = new Option<double>("--stop-timeout")
        {
            Description = "Seconds a stopping script gets after SIGTERM before its process group is killed.",
            DefaultValueFactory = _ => 5,
            Validators = { Validate.Seconds("--stop-timeout", 0.1, 3600) },
        };
        var failureDetection = new Option<double>("--failure-detection")
        {
            Description = "Seconds of silence after which the cluster declares a node dead and gateways report it and its " +
                "processes 'lost' (three missed probes, one every third of this). Use the same value on every node.",
            DefaultValueFactory = _ => NodeHostOptions.DefaultFailureDetection.TotalSeconds,
            Validators = { Validate.Seconds("--failure-detection", 0.3, 600) },
        };

        var tls = new TlsCommandOptions();
        var insecure = ClusterCommandOptions.Insecure();
        var telemetry = new TelemetryCommandOptions();

        var command = new Command(
            "node",
            "Joins this machine to a Brummer cluster as a node running one directory's scripts. Gateways (brummer gateway) " +
            "list and control them. Ctrl+C leaves the cluster and stops every script this node started; if the node is " +
            "killed, its watchdog stops them.")
        {
            name, dir, cluster, clusterId, advertise, siloPort, gatewayPort, pushPort, stopTimeout, failureDetection, insecure,
            telemetry.OtelLogs, telemetry.MetricsPort,
        };
        tls.AddTo(command);
        command.SetAction((parse, ct) => RunAsync(
            new NodeRunOptions(
                parse.GetValue(name)!,
                parse.GetValue(dir)!.FullName,
                parse.GetValue(cluster)!,
                parse.GetValue(clusterId)!,
                parse.GetValue(advertise)!,
                parse.GetValue(siloPort),
                parse.GetValue(gatewayPort),
                TimeSpan.FromSeconds(parse.GetValue(stopTimeout)),
                TimeSpan.FromSeconds(parse.GetValue(failureDetection)),
                OtelLogs: telemetry.ExportOutputLogs(parse),
                PushPort: parse.GetValue(pushPort),
                MetricsPort: parse.GetResult(telemetry.MetricsPort) is null ? null : parse.GetValue(telemetry.MetricsPort)),
            tls.Files(parse),
            parse.GetValue(insecure),
            ct));
        return command;
    }

    private static async Task<int> RunAsync(NodeRunOptions options, ClusterTlsFiles? tlsFiles, bool insecure, CancellationToken cancellationToken)
    {
        var exposed = !IPAddress.IsLoopback(options.Advertise) && tlsFiles is null;
        if (exposed && !insecure)
        {
            return CommandOutput.Fail(
                $"--advertise {options.Advertise} is not a loopback address and cluster TLS is off: anyone who reaches it could join the cluster " +
                "and run its scripts. Pass --tls-cert, --tls-key and --tls-ca (`brummer cert create` makes them), or --insecure to run without protection.");
        }

        // Resolved here so that what the node prints is the port it really uses.
        options = options with { SiloPort = FreePort.OrNext(options.SiloPort), GatewayPort = FreePort.OrNext(options.GatewayPort) };
        // Asked before any host is built: a busy port then costs one line and an instant exit, not a silo's start,
        // its error logs and its shutdown.
        foreach (var (port, option) in new[] { (options.SiloPort, "--silo-port"), (options.GatewayPort, "--gateway-port"), (options.PushPort, "--push-port") })
        {
            if (port != 0 && ListenPort.IsTaken(options.Advertise, port))
            {
                return CommandOutput.Fail(
                    $"port {port} ({option}) on {options.Advertise} is already in use (another node on this machine?). Pass {option} to use another.");
            }
        }

        if (exposed)
        {
            CommandOutput.Warn(
                $"cluster TLS is off and this node listens on {options.Advertise} (--insecure): anyone who reaches ports " +
                $"{options.SiloPort} and {options.GatewayPort} there can join the cluster and run its scripts, and its push port " +
                "shows them every script's status.");
        }

        ClusterTls? tls = null;
        IHost host;
        try
        {
            // Files first: a wrong path is found before any network is touched.
            tls = tlsFiles is null ? null : ClusterTls.Load(tlsFiles);
            options = options with { Tls = tls };
            await ClusterPreparation.PrepareAsync(options.Cluster, cancellationToken);
            host = ClusterHosts.BuildNode(options);
        }
        catch (Exception ex) when (ex is ScriptDiscoveryException or ClusterUnavailableException or ClusterTlsException or OtlpSettingsException)
        {
            tls?.Dispose();
            return CommandOutput.Fail(ex.Message);
        }
        catch (System.Net.Sockets.SocketException ex)
        {
            // The push port is bound while the host is built (taken since the check above, or an address not this machine's).
            tls?.Dispose();
            return CommandOutput.Fail(IsAddressInUse(ex)
                ? $"port {options.PushPort} (--push-port) on {options.Advertise} is already in use. Pass --push-port to use another."
                : $"cannot listen for push connections on {options.Advertise} port {options.PushPort}: {ex.Message}");
        }

        using (tls)
        using (host)
        {
            // Nodes that refuse this one (TLS) end its start at once: joining would only retry until it timed out.
            var refusals = host.Services.GetRequiredService<PeerRefusals>();
            using var starting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, refusals.Refused);
            try
            {
                await host.StartAsync(starting.Token);
            }
            catch (Exception) when (refusals.Reason is { } reason)
            {
                return CommandOutput.Fail(reason);
            }
            catch (OrleansClusterConnectivityCheckFailedException ex)
            {
                return CommandOutput.Fail($"could not join within {SiloHostingExtensions.JoinTimeout(options.FailureDetection).TotalSeconds:0} s: {ex.Message}");
            }
            catch (Exception ex) when (IsAddressInUse(ex))
            {
                return CommandOutput.Fail(
                    $"port {options.SiloPort} or {options.GatewayPort} on {options.Advertise} is already in use (another node on this machine?). " +
                    "Pass --silo-port and --gateway-port to use others.");
            }

            Console.WriteLine($"Node '{options.Name}' joined cluster '{options.ClusterId}' at {options.Cluster} as {options.Advertise}:{options.SiloPort}");
            Console.WriteLine(ClusterHosts.TlsBanner(options.Tls));
            var pushes = host.Services.GetService<StatusPushPort>() is { } push ? $" (pushes on {push.Endpoint.Port})" : string.Empty;
            Console.WriteLine($"Running scripts of {options.Directory}; gateways reach it on port {options.GatewayPort}{pushes}.");
            Console.WriteLine("Press Ctrl+C to leave the cluster and stop every script this node started.");
            await host.WaitForShutdownAsync(CancellationToken.None);
            Console.WriteLine($"Node '{options.Name}' left the cluster; no script it started is left running.");
            return 0;
        }
    }

    internal static bool IsAddressInUse(Exception ex)
    {
        for (var e = ex; e is not null; e = e.InnerException)
        {
            if (e is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.AddressAlreadyInUse } ||
                e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                return true;
            }
        }

        return false;
    }
}
