using System.Security.Cryptography;
using Brummer.Gateway.Apis;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Security;
using Brummer.Gateway.Traffic;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Brummer.Gateway.Dashboard;

/// <summary>
/// The web dashboard at <c>/</c>: one HTML page, one JavaScript module and one style sheet, embedded in this assembly
/// (so the packed dotnet tool serves them with no wwwroot beside it, and no CDN or build step is involved). The page
/// itself holds no data and needs no token; everything it shows comes from the JSON API and <c>/api/events</c>, under
/// the API's own token and browser rules. Plus <c>/api/whoami</c>, so a page (or any client) can learn which controls
/// to offer.
/// </summary>
public static class DashboardEndpoints
{
    /// <summary>Same-origin only: no inline script or style, no framing, nothing from elsewhere.</summary>
    public const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
        "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

    private static readonly (string Route, string Resource, string ContentType)[] Assets =
    [
        ("/", "index.html", "text/html; charset=utf-8"),
        ("/dashboard/app.js", "app.js", "text/javascript; charset=utf-8"),
        ("/dashboard/app.css", "app.css", "text/css; charset=utf-8"),
    ];

    public static IEndpointRouteBuilder MapDashboard(this IEndpointRouteBuilder app, bool readOnly = false)
    {
        ArgumentNullException.ThrowIfNull(app);
        foreach (var (route, resource, contentType) in Assets)
        {
            var asset = StaticAsset.Load(resource, contentType);
            app.MapMethods(route, [HttpMethods.Get, HttpMethods.Head], asset.Serve).ExcludeFromDescription();
        }

        app.MapGet("/api/whoami", (HttpContext context, TokenStore tokens) => WhoAmI(context, tokens, readOnly))
            .RequireAuthorization(RoleAuthorization.Policy(GatewayRole.Read))
            .WithMetadata(new LaneAttribute(RequestLane.Reads))
            .Documented(
                "whoami",
                "Who the caller is and what it may do",
                "The token's name and role (or 'local' with every role when the gateway requires no token), whether the gateway requires tokens, " +
                "and whether the caller may run, stop and restart (operate or admin role, on a gateway that is not read-only). The dashboard shows its controls only then.")
            .WithTags("security")
            .Refuses(Refusals.NoToken, Refusals.FromWebPage, Refusals.Busy);
        return app;
    }

    private static WhoAmIResult WhoAmI(HttpContext context, TokenStore tokens, bool readOnly)
    {
        var role = GatewayRoles.RoleOf(context.User);
        return new WhoAmIResult(
            GatewayRoles.NameOf(context.User),
            role == 0 ? "none" : role.ToWireName(),
            tokens.Enabled,
            !readOnly && role >= GatewayRole.Operate);
    }

    /// <summary>One embedded file, read once: its bytes, type and a strong ETag, so a reload costs a 304.</summary>
    private sealed class StaticAsset(byte[] content, string contentType, string etag)
    {
        public static StaticAsset Load(string name, string contentType)
        {
            var resource = $"Brummer.Gateway.Dashboard.{name}";
            using var stream = typeof(DashboardEndpoints).Assembly.GetManifestResourceStream(resource)
                ?? throw new InvalidOperationException($"The dashboard file {resource} is not embedded in {typeof(DashboardEndpoints).Assembly.GetName().Name}.");
            using var copy = new MemoryStream();
            stream.CopyTo(copy);
            var bytes = copy.ToArray();
            return new StaticAsset(bytes, contentType, $"\"{Convert.ToHexStringLower(SHA256.HashData(bytes))[..16]}\"");
        }

        public Task Serve(HttpContext context)
        {
            var response = context.Response;
            var headers = response.Headers;
            // no-cache: a browser revalidates every time (cheap, by ETag), so a new gateway version never runs an old page.
            headers.CacheControl = "no-cache";
            headers.ETag = etag;
            headers.ContentSecurityPolicy = ContentSecurityPolicy;
            headers.XContentTypeOptions = "nosniff";
            headers["Referrer-Policy"] = "no-referrer";
            headers.XFrameOptions = "DENY";
            if (context.Request.Headers.IfNoneMatch.Contains(etag))
            {
                response.StatusCode = StatusCodes.Status304NotModified;
                return Task.CompletedTask;
            }

            response.ContentType = contentType;
            response.ContentLength = content.Length;
            return HttpMethods.IsHead(context.Request.Method) ? Task.CompletedTask : response.Body.WriteAsync(content, context.RequestAborted).AsTask();
        }
    }
}
