using Npgsql;
using StackExchange.Redis;

namespace Brummer.Clustering;

/// <summary>Raised when the cluster's membership store cannot be used; the message says what to check.</summary>
public sealed class ClusterUnavailableException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// Checks the membership store before a node or gateway starts, so a wrong address is one clear line instead of a
/// silo that retries forever; creates the PostgreSQL schema in an empty database.
/// </summary>
public static class ClusterPreparation
{
    public static async Task PrepareAsync(ClusterConnection connection, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(connection);
        switch (connection.Provider)
        {
            case ClusterProvider.Redis:
                await PingRedisAsync(connection, cancellationToken);
                break;
            case ClusterProvider.Postgres:
                await using (var dataSource = NpgsqlDataSource.Create(connection.Target))
                {
                    try
                    {
                        await PostgresSchema.EnsureAsync(dataSource, cancellationToken);
                    }
                    catch (NpgsqlException ex)
                    {
                        throw new ClusterUnavailableException($"PostgreSQL at {connection} cannot be used: {ex.Message}", ex);
                    }
                }

                break;
            default:
                break;
        }
    }

    private static async Task PingRedisAsync(ClusterConnection connection, CancellationToken cancellationToken)
    {
        var options = ConfigurationOptions.Parse(connection.Target);
        options.AbortOnConnectFail = true;
        options.ConnectTimeout = 3000;
        options.ConnectRetry = 1;
        try
        {
            await using var redis = await ConnectionMultiplexer.ConnectAsync(options).WaitAsync(cancellationToken);
            await redis.GetDatabase().PingAsync().WaitAsync(cancellationToken);
        }
        catch (RedisException ex)
        {
            throw new ClusterUnavailableException($"Redis at {connection} cannot be reached: {ex.Message}", ex);
        }
    }
}
