using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Security;

/// <summary>
/// What keeps web pages out. A gateway on loopback is still reachable from every page the user opens: a cross-site
/// "simple" request (a form post, or fetch with text/plain) needs no preflight, and a page on a rebound DNS name
/// (evil.example → 127.0.0.1) is same-origin with itself. So, before authentication and for everything but
/// <c>/healthz</c>: a loopback-only gateway answers only loopback host names; a request carrying an <c>Origin</c>
/// must come from the gateway's own origin or an allowed one (<c>--allow-origin</c>); and a state-changing request
/// carries <c>application/json</c> or no body at all, which no cross-site form can send.
/// </summary>
internal sealed class BrowserGuard(RequestDelegate next, IOptions<GatewayOptions> options, ILogger<BrowserGuard> logger)
{
    /// <summary>Bodies the gateway reads at all: MCP messages and API calls are a few kilobytes.</summary>
    public const long MaxBodyBytes = 1024 * 1024;

    private readonly HashSet<string> _allowedOrigins = new(options.Value.AllowedOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
    private readonly bool _loopbackOnly = !options.Value.Exposed;

    public Task InvokeAsync(HttpContext context)
    {
        var request = context.Request;
        if (request.Path.StartsWithSegments("/healthz", StringComparison.Ordinal))
        {
            return next(context);
        }

        if (_loopbackOnly && !IsLoopbackHost(request.Host))
        {
            return RefuseAsync(
                context,
                StatusCodes.Status403Forbidden,
                $"Host {InputText.Quote(request.Host.Value)} is not a loopback name. This gateway listens on loopback only and answers requests for localhost, 127.0.0.1 or [::1] (a defence against DNS rebinding).");
        }

        var origin = request.Headers.Origin.ToString();
        if (origin.Length > 0 && !IsAllowedOrigin(origin, request))
        {
            return RefuseAsync(
                context,
                StatusCodes.Status403Forbidden,
                $"Origin {InputText.Quote(origin)} may not call this gateway: web pages reach it only from its own origin or one allowed with --allow-origin.");
        }

        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
        {
            limit.MaxRequestBodySize = MaxBodyBytes;
        }

        if (request.ContentLength > MaxBodyBytes)
        {
            return RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, $"The body is {request.ContentLength:N0} bytes; this gateway reads at most {MaxBodyBytes:N0}.");
        }

        if (ChangesState(request.Method) && HasBody(request) && !IsJson(request.ContentType))
        {
            return RefuseAsync(
                context,
                StatusCodes.Status415UnsupportedMediaType,
                $"{request.Method} takes a JSON body (Content-Type: application/json) or none; got {(string.IsNullOrEmpty(request.ContentType) ? "no Content-Type" : InputText.Quote(request.ContentType))}.");
        }

        return next(context);
    }

    public static bool IsJson(string? contentType) =>
        contentType is not null &&
        Microsoft.Net.Http.Headers.MediaTypeHeaderValue.TryParse(contentType, out var media) &&
        media.MediaType.Equals("application/json", StringComparison.OrdinalIgnoreCase);

    private static bool ChangesState(string method) =>
        !(HttpMethods.IsGet(method) || HttpMethods.IsHead(method) || HttpMethods.IsOptions(method));

    private static bool HasBody(HttpRequest request) =>
        request.ContentLength is > 0 || (request.ContentLength is null && request.Headers.TransferEncoding.Count > 0) || request.ContentType is { Length: > 0 };

    private static bool IsLoopbackHost(HostString host)
    {
        if (!host.HasValue)
        {
            return true; // HTTP/1.0 without Host: no browser sends that.
        }

        var name = host.Host;
        if (name.Equals("localhost", StringComparison.OrdinalIgnoreCase) || name.EndsWith(".localhost", StringComparison.OrdinalIgnoreCase))
        {
            return true; // Browsers resolve *.localhost to loopback themselves (RFC 6761); no DNS is asked.
        }

        return IPAddress.TryParse(name.Trim('[', ']'), out var address) && IPAddress.IsLoopback(address);
    }

    private bool IsAllowedOrigin(string origin, HttpRequest request)
    {
        if (_allowedOrigins.Contains(origin))
        {
            return true;
        }

        // Same origin: a page the gateway itself serves. Its Host was checked above (loopback), so a rebound name
        // cannot pass as "own origin".
        return Uri.TryCreate(origin, UriKind.Absolute, out var uri) &&
               string.Equals(uri.Scheme, request.Scheme, StringComparison.OrdinalIgnoreCase) &&
               string.Equals(uri.IsDefaultPort ? uri.Host : $"{uri.Host}:{uri.Port}", request.Host.Value, StringComparison.OrdinalIgnoreCase);
    }

    private Task RefuseAsync(HttpContext context, int status, string detail)
    {
        logger.LogInformation("{Method} {Path} refused ({Status}): {Detail}", context.Request.Method, InputText.Quote(context.Request.Path.Value), status, detail);
        return Problems.WriteAsync(context, status, detail);
    }
}
