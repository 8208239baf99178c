using System.CommandLine;
using System.Net;
using Brummer.Gateway;
using Brummer.Grains.Discovery;
using Brummer.Grains.Telemetry;
using Brummer.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Brummer.Cli.Commands;

internal static class UpCommand
{
    public static Command Create()
    {
        var dir = new Option<DirectoryInfo>("--dir", "-d")
        {
            Description = "Project directory whose package.json scripts this node runs.",
            DefaultValueFactory = _ => new DirectoryInfo(Environment.CurrentDirectory),
        };
        var port = new Option<int>("--port", "-p")
        {
            Description = "Gateway port (MCP at /mcp, JSON API at /api).",
            DefaultValueFactory = _ => GatewayExtensions.DefaultPort,
            Validators = { Validate.Port("--port", allowZero: true) },
        };
        var node = new Option<string>("--node")
        {
            Description = "This node's name in the cluster.",
            DefaultValueFactory = _ => NodeHostOptions.DefaultName,
            Validators = { Validate.Name("--node") },
        };
        var bind = new Option<IPAddress>("--bind")
        {
            Description = "Address the gateway listens on. Loopback by default; any other needs a token file (--tokens) or --insecure.",
            DefaultValueFactory = _ => IPAddress.Loopback,
            CustomParser = result => ClusterCommandOptions.ParseAddress(result, "--bind"),
        };
        var stopTimeout = new Option<double>("--stop-timeout")
        {
            Description = "Seconds a stopping script gets after SIGTERM before its process group is killed.",
            DefaultValueFactory = _ => 5,
            Validators = { Validate.Seconds("--stop-timeout", 0.1, 3600) },
        };
        var hosting = new GatewayHostingOptions();
        var telemetry = new TelemetryCommandOptions();

        var command = new Command("up", "Runs a one-machine Brummer (node + gateway in one process). Ctrl+C stops it and every script it started.")
        {
            dir, port, node, bind, stopTimeout, telemetry.OtelLogs,
        };
        foreach (var option in hosting.All)
        {
            command.Options.Add(option);
        }

        command.SetAction(async (parse, ct) =>
        {
            var address = parse.GetValue(bind)!;
            GatewaySecurity security;
            try
            {
                security = hosting.Read(parse, address);
            }
            catch (ArgumentException ex)
            {
                return CommandOutput.Fail(ex.Message);
            }

            var options = new UpOptions(parse.GetValue(dir)!.FullName, parse.GetValue(node)!, parse.GetValue(port), address, TimeSpan.FromSeconds(parse.GetValue(stopTimeout)), security, telemetry.ExportOutputLogs(parse));
            return await RunAsync(options, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(UpOptions options, CancellationToken cancellationToken)
    {
        if (ListenPort.IsTaken(options.Bind, options.Port))
        {
            return PortInUse(options);
        }

        WebApplication app;
        try
        {
            app = EmbeddedCluster.Build(options);
        }
        catch (Exception ex) when (ex is ScriptDiscoveryException or OtlpSettingsException)
        {
            return CommandOutput.Fail(ex.Message);
        }

        await using (app)
        {
            Uri url;
            try
            {
                url = await EmbeddedCluster.StartAsync(app, cancellationToken);
            }
            catch (IOException ex) when (ex.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                return PortInUse(options);
            }

            Console.WriteLine($"Brummer is up: node '{options.Node}' running scripts of {options.Directory}");
            EmbeddedCluster.PrintAccess(url, options.Bind, options.Security);
            Console.WriteLine("Press Ctrl+C to stop Brummer and every script it started.");
            await app.WaitForShutdownAsync(CancellationToken.None);
            Console.WriteLine("Brummer stopped; no script it started is left running.");
            return 0;
        }
    }

    private static int PortInUse(UpOptions options) =>
        CommandOutput.Fail($"port {options.Port} on {options.Bind} is already in use (another brummer up?). Pass --port to use another.");
}
