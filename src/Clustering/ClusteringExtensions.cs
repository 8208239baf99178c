using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Npgsql;
using Orleans.Configuration;
using StackExchange.Redis;

namespace Brummer.Clustering;

/// <summary>Wires a <see cref="ClusterConnection"/> into a silo (node) or a client (gateway): same string, same cluster.</summary>
public static class ClusteringExtensions
{
    public const string DefaultClusterId = "brummer";
    public const string ServiceId = "brummer";

    public static ISiloBuilder UseBrummerClustering(this ISiloBuilder silo, ClusterConnection connection, string clusterId)
    {
        ArgumentNullException.ThrowIfNull(silo);
        ArgumentNullException.ThrowIfNull(connection);
        silo.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, ServiceId));
        switch (connection.Provider)
        {
            case ClusterProvider.Redis:
                silo.UseRedisClustering(o => o.ConfigurationOptions = RedisOptions(connection));
                break;
            case ClusterProvider.Postgres:
                var dataSource = PostgresDataSource(silo.Services, connection);
                silo.UseAdoNetClustering(o => (o.Invariant, o.DataSource) = (PostgresSchema.Invariant, dataSource));
                break;
            default:
                silo.UseDevelopmentClustering(connection.PrimarySilo!);
                break;
        }

        return silo;
    }

    public static IClientBuilder UseBrummerClustering(this IClientBuilder client, ClusterConnection connection, string clusterId)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(connection);
        client.Configure<ClusterOptions>(o => (o.ClusterId, o.ServiceId) = (clusterId, ServiceId));
        switch (connection.Provider)
        {
            case ClusterProvider.Redis:
                client.UseRedisClustering(o => o.ConfigurationOptions = RedisOptions(connection));
                break;
            case ClusterProvider.Postgres:
                var dataSource = PostgresDataSource(client.Services, connection);
                client.UseAdoNetClustering(o => (o.Invariant, o.DataSource) = (PostgresSchema.Invariant, dataSource));
                break;
            default:
                client.UseStaticClustering(connection.PrimaryGateway!);
                break;
        }

        return client;
    }

    private static ConfigurationOptions RedisOptions(ClusterConnection connection)
    {
        var options = ConfigurationOptions.Parse(connection.Target);
        // Keep retrying while Redis restarts instead of failing the node at startup.
        options.AbortOnConnectFail = false;
        return options;
    }

    /// <summary>One data source per host, disposed with it (Orleans does not own it; a factory registration is disposed).</summary>
    private static NpgsqlDataSource PostgresDataSource(IServiceCollection services, ClusterConnection connection)
    {
        var dataSource = NpgsqlDataSource.Create(connection.Target);
        services.AddSingleton(_ => dataSource);
        return dataSource;
    }
}
