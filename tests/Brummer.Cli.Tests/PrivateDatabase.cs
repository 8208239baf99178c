using Brummer.Clustering;
using Npgsql;

namespace Brummer.Cli.Tests;

/// <summary>
/// A PostgreSQL database of the test's own on the shared test server (the test role may create databases), so a
/// test can truncate the Orleans tables without touching the clusters other tests run there at the same time.
/// </summary>
internal sealed class PrivateDatabase : IAsyncDisposable
{
    private readonly string _server;
    private readonly string _name;
    private readonly NpgsqlDataSource _database;

    private PrivateDatabase(string server, string name, string url)
    {
        _server = server;
        _name = name;
        Url = url;
        _database = NpgsqlDataSource.Create(new NpgsqlConnectionStringBuilder(server) { Database = name }.ConnectionString);
    }

    /// <summary>The --cluster value naming this database.</summary>
    public string Url { get; }

    /// <summary>Creates an empty database (the first node applies the schema) on the server named by a postgres:// URL.</summary>
    public static async Task<PrivateDatabase> CreateAsync(string serverUrl)
    {
        var server = ClusterConnection.Parse(serverUrl).Target;
        var name = "brummer_" + Guid.NewGuid().ToString("n")[..12];
        await using (var admin = NpgsqlDataSource.Create(server))
        {
            await admin.CreateCommand($"CREATE DATABASE {name}").ExecuteNonQueryAsync(TestContext.Current.CancellationToken);
        }

        return new PrivateDatabase(server, name, new UriBuilder(serverUrl) { Path = "/" + name }.Uri.ToString());
    }

    /// <summary>Empties Orleans' two membership tables (rows and version row), as an operator's TRUNCATE would.</summary>
    public async Task TruncateMembershipAsync() =>
        await _database.CreateCommand("TRUNCATE orleansmembershiptable, orleansmembershipversiontable")
            .ExecuteNonQueryAsync(TestContext.Current.CancellationToken);

    /// <summary>
    /// The cluster's Orleans membership table: its version (-1 if it has none) and each silo's name and Orleans status
    /// (3 = active, 6 = dead).
    /// </summary>
    public async Task<MembershipRows> MembersAsync(string clusterId)
    {
        var cancellationToken = TestContext.Current.CancellationToken;
        await using var version = _database.CreateCommand("SELECT version FROM orleansmembershipversiontable WHERE deploymentid = $1");
        version.Parameters.Add(new NpgsqlParameter { Value = clusterId });
        var tableVersion = await version.ExecuteScalarAsync(cancellationToken) is int v ? v : -1;
        await using var query = _database.CreateCommand("SELECT siloname, status FROM orleansmembershiptable WHERE deploymentid = $1");
        query.Parameters.Add(new NpgsqlParameter { Value = clusterId });
        await using var rows = await query.ExecuteReaderAsync(cancellationToken);
        var members = new List<(string, int)>();
        while (await rows.ReadAsync(cancellationToken))
        {
            members.Add((rows.GetString(0), rows.GetInt32(1)));
        }

        return new(tableVersion, members);
    }

    public async ValueTask DisposeAsync()
    {
        await _database.DisposeAsync();
        await using var admin = NpgsqlDataSource.Create(_server);
        // FORCE: a node's pooled connections may outlive the test by a moment.
        await admin.CreateCommand($"DROP DATABASE IF EXISTS {_name} WITH (FORCE)").ExecuteNonQueryAsync();
    }
}
