using System.Text.RegularExpressions;
using YamlDotNet.RepresentationModel;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>
/// Reads a <c>readiness_probe</c> or <c>liveness_probe</c>: exactly one check (<c>http_get</c>, <c>tcp</c>, <c>exec</c>,
/// <c>log</c>) and its timing. Addresses (url, host, port, path) may use the process's variables, e.g. <c>${PORT}</c>.
/// </summary>
internal static class ProbeReader
{
    private static readonly string[] Checks = ["http_get", "tcp", "exec", "log"];

    private static readonly string[] Keys =
        [.. Checks, "initial_delay_seconds", "period_seconds", "timeout_seconds", "success_threshold", "failure_threshold"];

    // process-compose and Kubernetes call it tcp_socket.
    private static readonly Dictionary<string, string> Aliases = new(StringComparer.Ordinal) { ["tcp_socket"] = "tcp" };

    private static readonly string[] HttpKeys = ["url", "host", "port", "path", "scheme", "status"];
    private static readonly string[] TcpKeys = ["host", "port"];
    private static readonly string[] ExecKeys = ["command"];
    private static readonly string[] LogKeys = ["pattern"];

    private const string DefaultHost = "127.0.0.1";

    public static ProbeDefinition Read(YamlSource source, YamlNode node, string where, StackEnvironment environment)
    {
        var mapping = source.Mapping(node, where, "a mapping with one of http_get, tcp, exec, log");
        var fields = source.Fields(mapping, where, Keys, Aliases);
        var given = Checks.Where(fields.ContainsKey).ToList();
        if (given.Count != 1)
        {
            var got = given.Count == 0 ? "none" : string.Join(" and ", given);
            throw source.Error(node, $"{where} needs exactly one of {string.Join(", ", Checks)}; got {got}.");
        }

        var kind = given[0];
        var checkWhere = $"{where}.{kind}";
        var checkNode = fields[kind].Value;
        ProbeCheck check = kind switch
        {
            "http_get" => HttpGet(source, checkNode, checkWhere, environment),
            "tcp" => Tcp(source, checkNode, checkWhere, environment),
            "exec" => new ExecCheck(source.String(Field(source, checkNode, checkWhere, ExecKeys, "command"), $"{checkWhere}.command")),
            _ => Log(source, checkNode, checkWhere),
        };

        var probe = new ProbeDefinition(check);
        if (fields.TryGetValue("initial_delay_seconds", out var delay))
        {
            probe = probe with { InitialDelay = source.Seconds(delay.Value, $"{where}.initial_delay_seconds") };
        }

        if (fields.TryGetValue("period_seconds", out var period))
        {
            probe = probe with { Period = source.Seconds(period.Value, $"{where}.period_seconds", exclusive: true) };
        }

        if (fields.TryGetValue("timeout_seconds", out var timeout))
        {
            probe = probe with { Timeout = source.Seconds(timeout.Value, $"{where}.timeout_seconds", exclusive: true) };
        }

        if (fields.TryGetValue("success_threshold", out var success))
        {
            probe = probe with { SuccessThreshold = source.Integer(success.Value, $"{where}.success_threshold", 1, 1000) };
        }

        if (fields.TryGetValue("failure_threshold", out var failure))
        {
            probe = probe with { FailureThreshold = source.Integer(failure.Value, $"{where}.failure_threshold", 1, 1000) };
        }

        return probe;
    }

    private static HttpGetCheck HttpGet(YamlSource source, YamlNode node, string where, StackEnvironment environment)
    {
        var mapping = source.Mapping(node, where, "a mapping with url, or host, port, path and scheme");
        var fields = source.Fields(mapping, where, HttpKeys);
        int? status = fields.TryGetValue("status", out var statusField)
            ? source.Integer(statusField.Value, $"{where}.status", 100, 599)
            : null;

        if (fields.TryGetValue("url", out var urlField))
        {
            var parts = HttpKeys.Where(k => k is not ("url" or "status") && fields.ContainsKey(k)).ToList();
            if (parts.Count > 0)
            {
                throw source.Error(fields[parts[0]].Key, $"{where} takes url or host/port/path/scheme, not both; drop {string.Join(", ", parts)} or url.");
            }

            var text = Expanded(source, urlField.Value, $"{where}.url", environment);
            if (!Uri.TryCreate(text, UriKind.Absolute, out var url) || (url.Scheme != Uri.UriSchemeHttp && url.Scheme != Uri.UriSchemeHttps))
            {
                throw source.Error(urlField.Value, $"{where}.url must be an absolute http:// or https:// URL (e.g. http://127.0.0.1:8080/health); got {YamlSource.Describe(urlField.Value)}.");
            }

            return new HttpGetCheck(url, status);
        }

        if (!fields.TryGetValue("port", out var portField))
        {
            throw source.Error(node, $"{where} needs url, or port (with host, default {DefaultHost}, path, default /, and scheme, default http).");
        }

        var port = Port(source, portField.Value, $"{where}.port", environment);
        var host = fields.TryGetValue("host", out var hostField) ? Host(source, hostField.Value, $"{where}.host", environment) : DefaultHost;
        var path = fields.TryGetValue("path", out var pathField) ? Expanded(source, pathField.Value, $"{where}.path", environment) : "/";
        var scheme = fields.TryGetValue("scheme", out var schemeField) ? source.String(schemeField.Value, $"{where}.scheme") : "http";
        if (scheme is not ("http" or "https"))
        {
            throw source.Error(schemeField.Value, $"{where}.scheme must be http or https; got {YamlSource.Describe(schemeField.Value)}.");
        }

        var query = path.IndexOf('?', StringComparison.Ordinal);
        var builder = new UriBuilder(scheme, host, port)
        {
            Path = query < 0 ? path : path[..query],
            Query = query < 0 ? string.Empty : path[(query + 1)..],
        };
        return new HttpGetCheck(builder.Uri, status);
    }

    private static TcpCheck Tcp(YamlSource source, YamlNode node, string where, StackEnvironment environment)
    {
        var mapping = source.Mapping(node, where, "a mapping with port (and host)");
        var fields = source.Fields(mapping, where, TcpKeys);
        if (!fields.TryGetValue("port", out var portField))
        {
            throw source.Error(node, $"{where} needs port (and host, default {DefaultHost}).");
        }

        var host = fields.TryGetValue("host", out var hostField) ? Host(source, hostField.Value, $"{where}.host", environment) : DefaultHost;
        return new TcpCheck(host, Port(source, portField.Value, $"{where}.port", environment));
    }

    private static LogCheck Log(YamlSource source, YamlNode node, string where)
    {
        var patternNode = Field(source, node, where, LogKeys, "pattern");
        var pattern = source.String(patternNode, $"{where}.pattern");
        try
        {
            _ = new Regex(pattern, RegexOptions.None, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException ex)
        {
            throw source.Error(patternNode, $"{where}.pattern is not a valid .NET regular expression: {ex.Message}");
        }

        return new LogCheck(pattern);
    }

    /// <summary>The one required key of a check's mapping.</summary>
    private static YamlNode Field(YamlSource source, YamlNode node, string where, string[] keys, string key)
    {
        var mapping = source.Mapping(node, where, $"a mapping with {key}");
        return source.Fields(mapping, where, keys).TryGetValue(key, out var field)
            ? field.Value
            : throw source.Error(node, $"{where} needs {key}.");
    }

    private static int Port(YamlSource source, YamlNode node, string where, StackEnvironment environment) =>
        source.Integer(node, Expanded(source, node, where, environment), where, 1, 65535);

    private static string Host(YamlSource source, YamlNode node, string where, StackEnvironment environment)
    {
        var host = Expanded(source, node, where, environment);
        return Uri.CheckHostName(host) != UriHostNameType.Unknown
            ? host
            : throw source.Error(node, $"{where} must be a host name or IP address; got {YamlSource.Describe(node)}.");
    }

    private static string Expanded(YamlSource source, YamlNode node, string where, StackEnvironment environment) =>
        environment.Expand(source, node, source.String(node, where), where);
}
