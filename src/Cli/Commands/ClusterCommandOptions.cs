using System.CommandLine;
using System.CommandLine.Parsing;
using System.Net;
using System.Net.Sockets;
using Brummer.Clustering;

namespace Brummer.Cli.Commands;

/// <summary>The options every cluster role takes, parsed the same way for each.</summary>
internal static class ClusterCommandOptions
{
    public const string ClusterEnvironmentVariable = "BRUMMER_CLUSTER";

    public static Option<ClusterConnection> Cluster() => new("--cluster")
    {
        Description =
            "How the cluster's members find each other; the same value for every node and gateway: redis://host:port, " +
            "postgres://user:pass@host:port/db (or an ADO.NET string 'Host=..;Username=..;Password=..;Database=..'; " +
            "the schema is created in an empty database), or dev://primary-host:port (development only: the node " +
            $"listening on that silo port holds the membership). Default: ${ClusterEnvironmentVariable}.",
        Required = Environment.GetEnvironmentVariable(ClusterEnvironmentVariable) is null,
        DefaultValueFactory = _ => ClusterConnection.Parse(Environment.GetEnvironmentVariable(ClusterEnvironmentVariable)!),
        CustomParser = result =>
        {
            try
            {
                return ClusterConnection.Parse(result.Tokens.Count > 0 ? result.Tokens[0].Value : string.Empty);
            }
            catch (Exception ex) when (ex is FormatException or SocketException)
            {
                result.AddError(ex.Message);
                return null;
            }
        },
    };

    public static Option<string> ClusterId() => new("--cluster-id")
    {
        Description = "Name of the cluster in the membership store; lets several clusters share one Redis or database.",
        DefaultValueFactory = _ => ClusteringExtensions.DefaultClusterId,
        Validators = { Validate.Name("--cluster-id") },
    };

    /// <summary>
    /// Consent to run without protection on a non-loopback address: a gateway without tokens, a node without TLS.
    /// Brummer refuses both unless told so, and warns at every start when told.
    /// </summary>
    public static Option<bool> Insecure() => new("--insecure")
    {
        Description = "Run without protection on a non-loopback address (no tokens on a gateway, no TLS on a node). " +
            "Anyone who can reach the port can then run your scripts; a warning is printed at every start.",
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
