using System.Text.Json;

namespace Brummer.Client;

/// <summary>Requests to the JSON API and how a refusal becomes the one line a user reads.</summary>
public static class GatewayRequests
{
    public static async Task<string> GetAsync(HttpClient http, string path, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.GetAsync(new Uri(path, UriKind.Relative), ct).ConfigureAwait(false);
        return await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
    }

    public static async Task<string> PostAsync(HttpClient http, string path, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.PostAsync(new Uri(path, UriKind.Relative), null, ct).ConfigureAwait(false);
        return await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
    }

    public static async Task<string> DeleteAsync(HttpClient http, string path, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(http);
        using var response = await http.DeleteAsync(new Uri(path, UriKind.Relative), ct).ConfigureAwait(false);
        return await EnsureSuccessAsync(response, ct).ConfigureAwait(false);
    }

    /// <summary>The body of a successful answer; otherwise a <see cref="GatewayCallException"/> carrying the problem's detail.</summary>
    public static async Task<string> EnsureSuccessAsync(HttpResponseMessage response, CancellationToken ct)
    {
        ArgumentNullException.ThrowIfNull(response);
        var body = await response.Content.ReadAsStringAsync(ct).ConfigureAwait(false);
        if (response.IsSuccessStatusCode)
        {
            return body;
        }

        // The gateway answers refusals as RFC 7807 problem details; its detail is written for the user.
        throw new GatewayCallException(ProblemDetail(body) ?? $"HTTP {(int)response.StatusCode}: {(body.Length > 200 ? body[..200] + "…" : body)}");
    }

    /// <summary>A query string of the pairs that have a value ("" when none has).</summary>
    public static string Query(params (string Key, string? Value)[] pairs)
    {
        ArgumentNullException.ThrowIfNull(pairs);
        var present = pairs.Where(p => !string.IsNullOrEmpty(p.Value)).Select(p => $"{p.Key}={Uri.EscapeDataString(p.Value!)}").ToList();
        return present.Count == 0 ? string.Empty : "?" + string.Join('&', present);
    }

    /// <summary>The path of one process, with its node when one is named: <c>NODE/NAME</c> or <c>NAME</c>, escaped.</summary>
    public static string ProcessPath(string name, string? node)
    {
        var script = Uri.EscapeDataString(name);
        return node is { Length: > 0 } n ? $"{Uri.EscapeDataString(n)}/{script}" : script;
    }

    private static string? ProblemDetail(string body)
    {
        try
        {
            using var problem = JsonDocument.Parse(body);
            return problem.RootElement.ValueKind == JsonValueKind.Object &&
                (problem.RootElement.TryGetProperty("detail", out var text) || problem.RootElement.TryGetProperty("title", out text)) &&
                text.ValueKind == JsonValueKind.String
                ? text.GetString()
                : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }
}
