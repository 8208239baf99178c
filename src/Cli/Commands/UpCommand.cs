using System.CommandLine;
using System.Net;
using Brummer.Gateway;
using Brummer.Grains.Discovery;
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
        };
        var node = new Option<string>("--node")
        {
            Description = "This node's name in the cluster.",
            DefaultValueFactory = _ => NodeHostOptions.DefaultName,
        };
        var bind = new Option<string>("--bind")
        {
            Description = "Address the gateway listens on. Loopback by default: anything else exposes control of your scripts to the network.",
            DefaultValueFactory = _ => "127.0.0.1",
        };
        var stopTimeout = new Option<double>("--stop-timeout")
        {
            Description = "Seconds a stopping script gets after SIGTERM before its process group is killed.",
            DefaultValueFactory = _ => 5,
        };

        var command = new Command("up", "Runs a one-machine Brummer (node + gateway in one process). Ctrl+C stops it and every script it started.")
        {
            dir, port, node, bind, stopTimeout,
        };
        command.SetAction(async (parse, ct) =>
        {
            if (!IPAddress.TryParse(parse.GetValue(bind), out var address))
            {
                return CommandOutput.Fail($"--bind '{parse.GetValue(bind)}' is not an IP address.");
            }

            var seconds = parse.GetValue(stopTimeout);
            if (seconds is <= 0 or > 3600)
            {
                return CommandOutput.Fail("--stop-timeout must be between 0 and 3600 seconds.");
            }

            var options = new UpOptions(parse.GetValue(dir)!.FullName, parse.GetValue(node)!, parse.GetValue(port), address, TimeSpan.FromSeconds(seconds));
            return await RunAsync(options, ct);
        });
        return command;
    }

    private static async Task<int> RunAsync(UpOptions options, CancellationToken cancellationToken)
    {
        WebApplication app;
        try
        {
            app = EmbeddedCluster.Build(options);
        }
        catch (ScriptDiscoveryException ex)
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
                return CommandOutput.Fail($"port {options.Port} on {options.Bind} is already in use (another brummer up?). Pass --port to use another.");
            }

            var mcp = new Uri(url, "/mcp");
            Console.WriteLine($"Brummer is up: node '{options.Node}' running scripts of {options.Directory}");
            Console.WriteLine($"MCP:  {mcp}");
            Console.WriteLine($"API:  {new Uri(url, "/api/processes")}");
            Console.WriteLine("Press Ctrl+C to stop Brummer and every script it started.");
            await app.WaitForShutdownAsync(CancellationToken.None);
            Console.WriteLine("Brummer stopped; no script it started is left running.");
            return 0;
        }
    }
}
