using System.Net;
using Npgsql;

namespace Brummer.Clustering;

/// <summary>How the nodes and gateways of one cluster find each other.</summary>
public enum ClusterProvider
{
    /// <summary>Orleans development clustering: one primary node holds the membership (quick tries only).</summary>
    Development,

    /// <summary>Membership table in Redis.</summary>
    Redis,

    /// <summary>Membership table in PostgreSQL (ADO.NET).</summary>
    Postgres,
}

/// <summary>
/// A parsed <c>--cluster</c> value. Every role (node, gateway) takes the same string:
/// <c>redis://[:password@]host:port[/db]</c>, <c>postgres://user:pass@host:port/db</c> or an ADO.NET connection string
/// (<c>Host=...;Username=...</c>), or <c>dev://primary-host:silo-port[?gateway=port]</c>.
/// </summary>
public sealed record ClusterConnection(ClusterProvider Provider, string Target, string Display)
{
    /// <summary>Default Orleans ports, used by <c>dev://</c> when the value names none.</summary>
    public const int DefaultSiloPort = 11111;
    public const int DefaultGatewayPort = 30000;

    /// <summary>For <see cref="ClusterProvider.Development"/>: the primary node's silo endpoint.</summary>
    public IPEndPoint? PrimarySilo { get; init; }

    /// <summary>For <see cref="ClusterProvider.Development"/>: the primary node's client gateway endpoint.</summary>
    public IPEndPoint? PrimaryGateway { get; init; }

    public override string ToString() => Display;

    /// <summary>Parses a <c>--cluster</c> value; <see cref="FormatException"/> says what is wrong and what is accepted.</summary>
    public static ClusterConnection Parse(string value)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw Invalid(value, "it is empty");
        }

        value = value.Trim();
        if (LooksLikeAdoNet(value))
        {
            return FromAdoNet(value);
        }

        if (!Uri.TryCreate(value, UriKind.Absolute, out var uri) || string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid(value, "it is neither a URL nor an ADO.NET connection string");
        }

        return uri.Scheme switch
        {
            "redis" or "rediss" => FromRedis(value, uri),
            "postgres" or "postgresql" => FromPostgresUrl(value, uri),
            "dev" => FromDev(value, uri),
            _ => throw Invalid(value, $"the scheme '{uri.Scheme}' is not supported"),
        };
    }

    private static ClusterConnection FromRedis(string value, Uri uri)
    {
        var port = uri.IsDefaultPort || uri.Port < 0 ? 6379 : uri.Port;
        var options = new List<string> { $"{uri.Host}:{port}" };
        var password = Password(uri);
        if (password is not null)
        {
            options.Add($"password={password}");
        }

        if (uri.Scheme == "rediss")
        {
            options.Add("ssl=true");
        }

        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, out var db) || db < 0)
            {
                throw Invalid(value, $"'/{path}' is not a Redis database number");
            }

            options.Add($"defaultDatabase={db}");
        }

        return new ClusterConnection(ClusterProvider.Redis, string.Join(',', options), Redact(uri));
    }

    private static ClusterConnection FromPostgresUrl(string value, Uri uri)
    {
        var database = Uri.UnescapeDataString(uri.AbsolutePath.Trim('/'));
        if (database.Length == 0)
        {
            throw Invalid(value, "it names no database (postgres://user:pass@host:port/DATABASE)");
        }

        var builder = new NpgsqlConnectionStringBuilder
        {
            Host = uri.Host,
            Port = uri.IsDefaultPort || uri.Port < 0 ? 5432 : uri.Port,
            Database = database,
        };
        var user = uri.UserInfo.Split(':', 2);
        if (user[0].Length > 0)
        {
            builder.Username = Uri.UnescapeDataString(user[0]);
        }

        if (user.Length > 1)
        {
            builder.Password = Uri.UnescapeDataString(user[1]);
        }

        return new ClusterConnection(ClusterProvider.Postgres, builder.ConnectionString, Redact(uri));
    }

    private static ClusterConnection FromAdoNet(string value)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(value);
        }
        catch (ArgumentException ex)
        {
            throw Invalid(value, $"it is not a valid PostgreSQL connection string ({ex.Message})");
        }

        if (string.IsNullOrEmpty(builder.Host))
        {
            throw Invalid(value, "the connection string names no Host");
        }

        var display = $"postgres://{builder.Host}:{builder.Port}/{builder.Database}";
        return new ClusterConnection(ClusterProvider.Postgres, builder.ConnectionString, display);
    }

    private static ClusterConnection FromDev(string value, Uri uri)
    {
        if (!IPAddress.TryParse(uri.Host, out var host))
        {
            host = Dns.GetHostAddresses(uri.Host).FirstOrDefault(a => a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetwork)
                ?? throw Invalid(value, $"'{uri.Host}' does not resolve to an IPv4 address");
        }

        var siloPort = uri.IsDefaultPort || uri.Port < 0 ? DefaultSiloPort : uri.Port;
        var gatewayPort = DefaultGatewayPort;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var parts = pair.Split('=', 2);
            if (parts is ["gateway", var port] && int.TryParse(port, out var parsed) && parsed is > 0 and < 65536)
            {
                gatewayPort = parsed;
            }
            else
            {
                throw Invalid(value, $"'{pair}' is not understood (only ?gateway=PORT is)");
            }
        }

        return new ClusterConnection(ClusterProvider.Development, $"{host}:{siloPort}", $"dev://{host}:{siloPort}?gateway={gatewayPort}")
        {
            PrimarySilo = new IPEndPoint(host, siloPort),
            PrimaryGateway = new IPEndPoint(host, gatewayPort),
        };
    }

    private static bool LooksLikeAdoNet(string value) =>
        !value.Contains("://", StringComparison.Ordinal) && value.Contains('=', StringComparison.Ordinal);

    private static string? Password(Uri uri)
    {
        var parts = uri.UserInfo.Split(':', 2);
        return parts.Length == 2 ? Uri.UnescapeDataString(parts[1]) : null;
    }

    /// <summary>The URL without its password, for logs and messages.</summary>
    private static string Redact(Uri uri)
    {
        var parts = uri.UserInfo.Split(':', 2);
        var credentials = (parts[0], parts.Length == 2) switch
        {
            ("", false) => string.Empty,
            (var user, false) => $"{user}@",
            (var user, true) => $"{user}:***@",
        };
        var port = uri.IsDefaultPort || uri.Port < 0 ? string.Empty : $":{uri.Port}";
        return $"{uri.Scheme}://{credentials}{uri.Host}{port}{uri.AbsolutePath.TrimEnd('/')}";
    }

    // The value is not echoed: it may hold a password.
    private static FormatException Invalid(string _, string why) => new(
        $"--cluster value is not usable: {why}. Use redis://host:port, postgres://user:pass@host:port/db " +
        "(or an ADO.NET string such as 'Host=h;Username=u;Password=p;Database=d'), or dev://primary-host:port.");
}
