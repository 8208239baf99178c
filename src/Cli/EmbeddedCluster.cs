using System.Net;
using Brummer.Gateway;
using Brummer.Grains.Discovery;
using Brummer.Grains.Processes;
using Brummer.ServiceDefaults;
using Brummer.Silo;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Brummer.Cli;

/// <summary>What <c>brummer up</c> runs: one silo and the gateway in one process, clustered on loopback only.</summary>
public sealed record UpOptions(string Directory, string Node, int Port, IPAddress Bind, TimeSpan StopTimeout, GatewaySecurity? Gateway = null, bool OtelLogs = true)
{
    public GatewaySecurity Security => Gateway ?? GatewaySecurity.LoopbackDefault;
}

public static class EmbeddedCluster
{
    /// <summary>
    /// Builds the embedded node + gateway. Throws <see cref="Grains.Discovery.ScriptDiscoveryException"/> for a bad
    /// package.json or brummer.yaml, <see cref="Grains.Telemetry.OtlpSettingsException"/> for an OTLP setting it cannot use.
    /// </summary>
    /// <param name="configure">A last word on the host before it is built (tests add a log capture).</param>
    public static WebApplication Build(UpOptions options, string[]? args = null, Action<IHostApplicationBuilder>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        NodeDefinitions.Prefetch();
        var builder = WebApplication.CreateSlimBuilder(HostSettings.Web(args));
        builder.AddServiceDefaults("brummer", options.Node);
        builder.WebHost.UseKestrel(k => k.Listen(options.Bind, options.Port));
        builder.AddBrummerEmbeddedSilo(new NodeHostOptions
        {
            Name = options.Node,
            Directory = options.Directory,
            ExportOutputLogs = options.OtelLogs,
            Processes = new ProcessOptions { StopTimeout = options.StopTimeout },
        });
        builder.AddBrummerGateway(g =>
        {
            g.DefaultNode = options.Node;
            options.Security.Apply(g, options.Bind);
        });
        configure?.Invoke(builder);
        var app = builder.Build();
        app.MapBrummerGateway();
        return app;
    }

    /// <summary>Starts the app and waits until the gateway has seen the node; returns the base URL it listens on.</summary>
    public static async Task<Uri> StartAsync(WebApplication app, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(app);
        await app.StartAsync(cancellationToken);
        await app.Services.WaitForClusterViewAsync(cancellationToken);
        return ListeningUrl(app);
    }

    /// <summary>The banner lines about where a started gateway answers and who may use it.</summary>
    public static void PrintAccess(Uri url, IPAddress bind, GatewaySecurity security)
    {
        ArgumentNullException.ThrowIfNull(url);
        ArgumentNullException.ThrowIfNull(security);
        Console.WriteLine($"MCP:  {new Uri(url, "/mcp")}");
        Console.WriteLine($"API:  {new Uri(url, "/api/processes")}");
        Console.WriteLine($"Web:  {url}"); // the dashboard
        foreach (var line in security.Describe(bind, url.Port))
        {
            Console.WriteLine(line);
        }

        if (security.Warning(bind) is { } warning)
        {
            Console.Error.WriteLine(warning);
        }
    }

    /// <summary>The base URL a started app listens on (the real port when 0 was asked for).</summary>
    public static Uri ListeningUrl(WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var address = app.Services.GetRequiredService<IServer>().Features.GetRequiredFeature<IServerAddressesFeature>().Addresses.First();
        return new Uri(address.Replace("[::]", "127.0.0.1", StringComparison.Ordinal).Replace("0.0.0.0", "127.0.0.1", StringComparison.Ordinal));
    }
}
