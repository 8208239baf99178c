using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using System.Net.Sockets;
using Brummer.Clustering;
using Brummer.Clustering.Tls;

namespace Brummer.Cli.Commands;

/// <summary>The options every cluster role takes, parsed the same way for each.</summary>
internal static class ClusterCommandOptions
{
    public const string ClusterEnvironmentVariable = "BRUMMER_CLUSTER";

    /// <remarks>
    /// $BRUMMER_CLUSTER is read as the default value, and a missing or unusable one is a parse error like a bad
    /// --cluster (one line, exit 2), never an exception: help must work with no environment at all.
    /// </remarks>
    public static Option<ClusterConnection> Cluster() => new("--cluster")
    {
        Description =
            "How the cluster's members find each other; the same value for every node and gateway: redis://host:port, " +
            "postgres://user:pass@host:port/db (or an ADO.NET string 'Host=..;Username=..;Password=..;Database=..'; " +
            "the schema is created in an empty database), or dev://primary-host:port (development only: the node " +
            $"listening on that silo port holds the membership). Default: ${ClusterEnvironmentVariable}.",
        DefaultValueFactory = result => Environment.GetEnvironmentVariable(ClusterEnvironmentVariable) is { Length: > 0 } value
            ? ParseOrReport(result, value, $"${ClusterEnvironmentVariable}")
            : Missing(result),
        CustomParser = result => ParseOrReport(result, result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty, null),
    };

    /// <summary>The connection, or null with an error on <paramref name="result"/> (the command then does not run).</summary>
    private static ClusterConnection ParseOrReport(ArgumentResult result, string value, string? source)
    {
        try
        {
            return ClusterConnection.Parse(value);
        }
        catch (Exception ex) when (ex is FormatException or SocketException)
        {
            Report(result, source is null ? ex.Message : $"{source}: {ex.Message}");
            return null!;
        }
    }

    private static ClusterConnection Missing(ArgumentResult result)
    {
        Report(result, $"--cluster is missing: pass --cluster redis://host:port (or postgres://..., dev://host:port) or set ${ClusterEnvironmentVariable}.");
        return null!;
    }

    /// <summary>Help asks for the default value outside any parse (no parent): nothing to report there.</summary>
    private static void Report(ArgumentResult result, string message)
    {
        if (result.Parent is not null)
        {
            result.AddError(message);
        }
    }

    public static Option<string> ClusterId() => new("--cluster-id")
    {
        Description = "Name of the cluster in the membership store; lets several clusters share one Redis or database.",
        DefaultValueFactory = _ => ClusteringExtensions.DefaultClusterId,
        Validators = { Validate.Name("--cluster-id") },
    };

    /// <summary>
    /// For every command that can listen beyond loopback: whoever passes it chose to run without protection (cluster
    /// TLS on a node, tokens on a gateway) on a non-loopback address, and is warned about it at every start.
    /// </summary>
    public static Option<bool> Insecure() => new("--insecure")
    {
        Description = "Run without protection on a non-loopback address (no TLS on a node, no tokens on a gateway): start even " +
            "though anyone who reaches it could use it (a warning is printed at every start). Without it, that refuses to start.",
    };

    /// <summary>An IP address, or a host name resolved to its first IPv4 address (containers know their own name).</summary>
    public static IPAddress? ParseAddress(ArgumentResult result, string option)
    {
        var text = result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty;
        if (IPAddress.TryParse(text, out var address))
        {
            return address;
        }

        try
        {
            return Dns.GetHostAddresses(text).FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork)
                ?? throw new SocketException((int)SocketError.HostNotFound);
        }
        catch (Exception ex) when (ex is SocketException or ArgumentException)
        {
            result.AddError($"{option} '{text}' is neither an IP address nor a resolvable host name.");
            return null;
        }
    }
}

/// <summary>
/// <c>--tls-cert</c>, <c>--tls-key</c>, <c>--tls-ca</c> (or BRUMMER_TLS_*): a member's certificate, its key and the
/// cluster CA, all three or none. Parsing only checks that; the files are read when the command runs.
/// </summary>
internal sealed class TlsCommandOptions
{
    public Option<string?> Certificate { get; } = File(
        "--tls-cert", "This member's certificate (PEM), signed by the cluster CA: turns on mutual TLS with the other members.");

    public Option<string?> Key { get; } = File(
        "--tls-key", "The private key (PEM, unencrypted) of --tls-cert. Keep it readable by its owner only (mode 0600).");

    public Option<string?> Authority { get; } = File(
        "--tls-ca", "The cluster CA's certificate (PEM): only members presenting a certificate it signed may join or call.");

    public void AddTo(Command command)
    {
        command.Options.Add(Certificate);
        command.Options.Add(Key);
        command.Options.Add(Authority);
        command.Validators.Add(result =>
        {
            var given = Options.Where(o => result.GetValue(o) is not null).ToList();
            if (given.Count is > 0 and < 3)
            {
                var missing = Options.Except(given).Select(o => $"{o.Name} (or ${Variable(o.Name)})");
                result.AddError($"--tls-cert, --tls-key and --tls-ca go together (`brummer cert create` makes them): missing {string.Join(", ", missing)}.");
            }
        });
    }

    /// <summary>The files given, or null when cluster TLS is off.</summary>
    public ClusterTlsFiles? Files(ParseResult parse) =>
        parse.GetValue(Certificate) is { } certificate && parse.GetValue(Key) is { } key && parse.GetValue(Authority) is { } authority
            ? new ClusterTlsFiles(certificate, key, authority)
            : null;

    private IEnumerable<Option<string?>> Options => [Certificate, Key, Authority];

    /// <summary>--tls-cert → BRUMMER_TLS_CERT.</summary>
    private static string Variable(string option) => "BRUMMER_" + option.TrimStart('-').Replace('-', '_').ToUpperInvariant();

    private static Option<string?> File(string name, string description) => new(name)
    {
        Description = $"{description} Default: ${Variable(name)}.",
        HelpName = "FILE",
        DefaultValueFactory = _ => Environment.GetEnvironmentVariable(Variable(name)) is { Length: > 0 } value ? value : null,
    };
}

internal static class Validate
{
    public static Action<OptionResult> Name(string option) => result =>
    {
        var value = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
        if (value is not null && !IsName(value))
        {
            result.AddError($"{option} '{value}' must be 1-64 letters, digits, '-', '_' or '.'.");
        }
    };

    public static void NameArgument(ArgumentResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        var value = result.Tokens.Count > 0 ? result.Tokens[0].Value : null;
        if (value is not null && !IsName(value))
        {
            result.AddError($"NAME '{value}' must be 1-64 letters, digits, '-', '_' or '.'.");
        }
    }

    private static bool IsName(string value) =>
        value.Length is > 0 and <= 64 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.');

    public static Action<OptionResult> Port(string option, bool allowZero = false) => result =>
    {
        var value = result.Tokens.Count > 0 && int.TryParse(result.Tokens[0].Value, out var parsed) ? parsed : (int?)null;
        if (value is { } port && (port > 65535 || port < (allowZero ? 0 : 1)))
        {
            result.AddError($"{option} {port} is not a TCP port ({(allowZero ? 0 : 1)}-65535).");
        }
    };

    public static Action<OptionResult> Seconds(string option, double min, double max) => result =>
    {
        var value = result.Tokens.Count > 0 && double.TryParse(result.Tokens[0].Value, System.Globalization.CultureInfo.InvariantCulture, out var parsed) ? parsed : (double?)null;
        if (value is { } seconds && (seconds < min || seconds > max))
        {
            result.AddError($"{option} must be between {min} and {max} seconds.");
        }
    };
}
