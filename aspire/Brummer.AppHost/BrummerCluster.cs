using Aspire.Hosting.ApplicationModel;

namespace Brummer.AppHost;

/// <summary>
/// A Brummer cluster in the app model: nodes and gateways are the <c>brummer</c> CLI (src/Cli) as project resources,
/// each given the same <c>--cluster</c> connection string, which is how every Brummer member finds the others.
/// </summary>
/// <remarks>
/// Aspire.Hosting.Orleans is not used: its <c>WithReference(orleans)</c> injects <c>Orleans__Clustering__*</c>,
/// <c>Orleans__ClusterId</c> and endpoint settings, which Orleans' <c>UseOrleans</c> reads from configuration and applies
/// on top of the clustering a node configures in code from <c>--cluster</c> — a second membership provider, and with
/// <c>WithDevelopmentClustering()</c> one without a primary silo, so each node would form a cluster of its own. A
/// Brummer node and gateway take one connection string for that; this class hands it to them.
/// </remarks>
public sealed class BrummerCluster
{
    private readonly IDistributedApplicationBuilder _builder;
    private readonly IResourceBuilder<RedisResource>? _redis;
    private IResourceBuilder<ProjectResource>? _primary;
    private ReferenceExpression? _connection;

    internal BrummerCluster(IDistributedApplicationBuilder builder, IResourceBuilder<RedisResource>? redis)
    {
        _builder = builder;
        _redis = redis;
        _connection = redis?.Resource.UriExpression;
    }

    /// <summary>
    /// A node running the scripts of <paramref name="directory"/> (its package.json, or its brummer.yaml: a process
    /// placed with <c>node: NAME</c> runs only on the node of that name). Its silo and client-gateway ports are
    /// endpoints Aspire allocates, so several runs and the tests never collide. With development clustering the first
    /// node added holds the membership (Orleans' primary silo): the others and the gateways wait for it.
    /// </summary>
    public IResourceBuilder<ProjectResource> AddNode(string name, string directory)
    {
        var node = _builder.AddProject<Projects.Brummer_Cli>(name)
            .WithEndpoint(name: "orleans-silo", scheme: "tcp", isProxied: false, isExternal: false)
            .WithEndpoint(name: "orleans-gateway", scheme: "tcp", isProxied: false, isExternal: false)
            .WithHttpProtobufTelemetry();
        var silo = node.GetEndpoint("orleans-silo");
        var gateway = node.GetEndpoint("orleans-gateway");

        if (_redis is not null)
        {
            node.WaitFor(_redis);
        }
        else if (_primary is null)
        {
            _primary = node;
            _connection = ReferenceExpression.Create(
                $"dev://127.0.0.1:{silo.Property(EndpointProperty.Port)}?gateway={gateway.Property(EndpointProperty.Port)}");
        }
        else
        {
            node.WaitFor(_primary);
        }

        return node.WithArgs(
            "node", "--name", name, "--dir", directory, "--cluster", _connection!,
            "--silo-port", silo.Property(EndpointProperty.Port), "--gateway-port", gateway.Property(EndpointProperty.Port));
    }

    /// <summary>
    /// A gateway serving MCP (<c>/mcp</c>) and the JSON API (<c>/api</c>) for every node, on loopback at
    /// <paramref name="port"/> (7777 is what the CLI's client verbs and agents use by default). The gateway listens on a
    /// port Aspire picks behind that one, so a test's run can move it.
    /// </summary>
    public IResourceBuilder<ProjectResource> AddGateway(string name, int port)
    {
        var connection = _connection
            ?? throw new InvalidOperationException("Add a node first: with development clustering the first node holds the membership.");
        var gateway = _builder.AddProject<Projects.Brummer_Cli>(name)
            .WithHttpEndpoint(port: port, name: "http")
            .WithHttpHealthCheck("/healthz")
            .WithUrlForEndpoint("http", url => (url.Url, url.DisplayText) = ("/api/processes", "API: processes"))
            .WithUrlForEndpoint("http", _ => new ResourceUrlAnnotation { Url = "/mcp", DisplayText = "MCP (streamable HTTP)" })
            .WithHttpProtobufTelemetry()
            // Aspire tells every project's Kestrel where to listen (ASPNETCORE_URLS); the gateway listens where --port and
            // its loopback-only default say, and would only warn that it overrides the variable.
            .WithEnvironment(context => context.EnvironmentVariables.Remove("ASPNETCORE_URLS"));
        if (_redis is not null)
        {
            gateway.WaitFor(_redis);
        }

        return gateway.WithArgs("gateway", "--cluster", connection, "--port", gateway.GetEndpoint("http").Property(EndpointProperty.TargetPort));
    }
}

public static class BrummerClusterExtensions
{
    /// <summary>
    /// The cluster's membership. Redis (a container) when a container runtime answers: a membership table outside every
    /// node, so any node may stop and come back, as in production. Without one (no Docker engine, as on CI), Orleans
    /// development clustering held by the first node: nothing to install, but that node is the cluster's single point
    /// of failure. <c>Brummer:Membership</c> (<c>redis</c> or <c>development</c>) overrides the detection.
    /// </summary>
    public static BrummerCluster AddBrummerCluster(this IDistributedApplicationBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        var useRedis = builder.Configuration["Brummer:Membership"]?.ToLowerInvariant() switch
        {
            "redis" => true,
            "development" => false,
            null or "" => ContainerRuntime.IsAvailable(builder.Configuration),
            var other => throw new InvalidOperationException($"Brummer:Membership '{other}' is neither 'redis' nor 'development'."),
        };

        // Plain redis:// on loopback: the nodes' Redis client is not given Aspire's development certificate to trust.
        // WithoutHttpsCertificate is marked for evaluation (ASPIRECERTIFICATES001); it is the one switch for that.
#pragma warning disable ASPIRECERTIFICATES001
        return new BrummerCluster(builder, useRedis ? builder.AddRedis("membership").WithoutHttpsCertificate() : null);
#pragma warning restore ASPIRECERTIFICATES001
    }

    /// <summary>
    /// OTLP to the dashboard over HTTP/protobuf, the one protocol every exporter of a Brummer host speaks (the
    /// OpenTelemetry SDK's and the exporter of the scripts' output lines alike), whatever else the dashboard offers.
    /// </summary>
    internal static IResourceBuilder<T> WithHttpProtobufTelemetry<T>(this IResourceBuilder<T> builder)
        where T : IResourceWithEnvironment => builder.WithOtlpExporter(OtlpProtocol.HttpProtobuf);
}
