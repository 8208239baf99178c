using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;

namespace Brummer.Cli.Tests;

/// <summary>
/// A reverse proxy that serves a gateway below a path (<c>/brummer/api/…</c> → <c>/api/…</c>), as a team's shared
/// ingress does; anything outside the path is 404. Records the paths it was asked for.
/// </summary>
internal sealed class PathPrefixProxy : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly HttpClient _upstream = new();

    private PathPrefixProxy(string prefix, Uri target)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseKestrel(k => k.Listen(System.Net.IPAddress.Loopback, 0));
        _app = builder.Build();
        _app.Run(async context =>
        {
            lock (Seen)
            {
                Seen.Add(context.Request.Path.Value ?? string.Empty);
            }

            if (!context.Request.Path.StartsWithSegments(prefix, out var rest))
            {
                context.Response.StatusCode = StatusCodes.Status404NotFound;
                return;
            }

            using var request = new HttpRequestMessage(new HttpMethod(context.Request.Method), new Uri(target, rest.Value + context.Request.QueryString.Value));
            foreach (var header in context.Request.Headers.Where(h => h.Key is "Authorization" or "X-Brummer-Actor" or "Accept"))
            {
                request.Headers.TryAddWithoutValidation(header.Key, header.Value.ToArray());
            }

            using var response = await _upstream.SendAsync(request, context.RequestAborted);
            context.Response.StatusCode = (int)response.StatusCode;
            context.Response.ContentType = response.Content.Headers.ContentType?.ToString();
            await response.Content.CopyToAsync(context.Response.Body, context.RequestAborted);
        });
    }

    public List<string> Seen { get; } = [];

    public Uri Url { get; private set; } = null!;

    public static async Task<PathPrefixProxy> StartAsync(string prefix, Uri target)
    {
        var proxy = new PathPrefixProxy(prefix, target);
        await proxy._app.StartAsync();
        proxy.Url = EmbeddedCluster.ListeningUrl(proxy._app);
        return proxy;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.DisposeAsync();
        _upstream.Dispose();
    }
}
