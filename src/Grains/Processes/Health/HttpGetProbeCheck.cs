using System.Net.Sockets;
using Brummer.Grains.Discovery;

namespace Brummer.Grains.Processes.Health;

/// <summary>http_get: passes when a GET answers the expected status, or any 2xx/3xx when none is set.</summary>
public sealed class HttpGetProbeCheck(HttpGetCheck check, HttpClient? client = null) : IProbeCheck
{
    private readonly HttpClient _client = client ?? SharedClient;

    /// <summary>One client for every probe of the node: sockets and handlers are pooled, not made per check.</summary>
    [System.Diagnostics.CodeAnalysis.SuppressMessage("Security", "CA5359:Do not disable certificate validation", Justification = "A readiness GET to the user's own dev server, which often has a self-signed certificate (as Kubernetes' https probes); it sends no secret.")]
    internal static HttpClient SharedClient { get; } = new(new SocketsHttpHandler
    {
        UseProxy = false, // the process is local to the node (or named by the user); a proxy would answer instead
        UseCookies = false,
        // A new connection each time, as Kubernetes does: a server that stopped accepting must not pass on a pooled
        // one. (Zero: never returned to the pool; a request's "Connection: close" alone does not stop .NET reusing it.)
        PooledConnectionLifetime = TimeSpan.Zero,
        // Like Kubernetes' https probes: a dev server's self-signed certificate must not fail its readiness. The probe
        // sends nothing but a GET, so it reveals nothing to whoever answers.
        SslOptions = { RemoteCertificateValidationCallback = static (_, _, _, _) => true },
    })
    {
        Timeout = Timeout.InfiniteTimeSpan, // each check's token carries the probe's timeout
    };

    // A URL's user:password must not reach a status field or a log.
    public string Description { get; } = $"GET {check.Url.GetComponents(UriComponents.AbsoluteUri & ~UriComponents.UserInfo, UriFormat.UriEscaped)}";

    public async ValueTask<ProbeOutcome> CheckAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, check.Url);
        request.Headers.ConnectionClose = true; // lets the server close its end at once too
        request.Headers.UserAgent.ParseAdd("brummer-probe");
        try
        {
            using var response = await _client.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken).ConfigureAwait(false);
            var status = (int)response.StatusCode;
            var passed = check.ExpectedStatus is { } expected ? status == expected : status is >= 200 and < 400;
            var reason = $"{Description} answered {status}";
            return passed ? ProbeOutcome.Pass(reason)
                : ProbeOutcome.Fail(check.ExpectedStatus is { } wanted ? $"{reason}, expected {wanted}" : reason);
        }
        catch (HttpRequestException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeOutcome.Fail(ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused }
                ? $"{Description}: connection to {check.Url.Host}:{check.Url.Port} refused"
                : $"{Description} failed: {ex.Message}");
        }
    }
}
