using Npgsql;

namespace Brummer.Clustering;

/// <summary>
/// Applies Orleans' PostgreSQL membership schema (Sql/, from the Orleans repository, MIT) to a database that lacks it.
/// Concurrent nodes starting against an empty database serialize on an advisory lock, so it is applied once.
/// </summary>
public static class PostgresSchema
{
    public const string Invariant = "Npgsql";

    // Each script with a table it creates, in the order they must run.
    private static readonly (string Script, string Table)[] Scripts =
    [
        ("PostgreSQL-Main.sql", "orleansquery"),
        ("PostgreSQL-Clustering.sql", "orleansmembershiptable"),
    ];

    // Any constant shared by every Brummer process: the lock only has to be the same for all of them.
    private const long LockKey = 0x4272_756D_6D65_72; // "Brummer"

    /// <summary>Creates the schema if the database has none; returns true if it did.</summary>
    public static async Task<bool> EnsureAsync(NpgsqlDataSource dataSource, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(dataSource);
        await using var connection = await dataSource.OpenConnectionAsync(cancellationToken);
        await ExecuteAsync(connection, $"SELECT pg_advisory_lock({LockKey})", cancellationToken);
        try
        {
            // The scripts are not idempotent: apply each only if what it creates is missing.
            await using var transaction = await connection.BeginTransactionAsync(cancellationToken);
            var applied = false;
            foreach (var (script, table) in Scripts)
            {
                if (!await ExistsAsync(connection, table, cancellationToken))
                {
                    await using var command = new NpgsqlCommand(Read(script), connection, transaction);
                    await command.ExecuteNonQueryAsync(cancellationToken);
                    applied = true;
                }
            }

            await transaction.CommitAsync(cancellationToken);
            return applied;
        }
        finally
        {
            await ExecuteAsync(connection, $"SELECT pg_advisory_unlock({LockKey})", CancellationToken.None);
        }
    }

    private static async Task<bool> ExistsAsync(NpgsqlConnection connection, string table, CancellationToken cancellationToken)
    {
        await using var check = new NpgsqlCommand("SELECT to_regclass(@table) IS NOT NULL", connection);
        check.Parameters.AddWithValue("table", table);
        return await check.ExecuteScalarAsync(cancellationToken) is true;
    }

    private static async Task ExecuteAsync(NpgsqlConnection connection, string sql, CancellationToken cancellationToken)
    {
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static string Read(string script)
    {
        using var stream = typeof(PostgresSchema).Assembly.GetManifestResourceStream($"Brummer.Clustering.Sql.{script}")
            ?? throw new InvalidOperationException($"The embedded schema script {script} is missing from the build.");
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
