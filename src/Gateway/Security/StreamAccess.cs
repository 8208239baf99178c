using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;

namespace Brummer.Gateway.Security;

/// <summary>
/// Whether the caller of a stream may still read it. A stream of server-sent events outlives the authorization its
/// request passed: without this, a token revoked while its stream is open would go on receiving every change until its
/// client hung up. Streams ask at each event and heartbeat and end when the answer is no; the client's reconnect is
/// then refused like any request with that token.
/// </summary>
internal static class StreamAccess
{
    public static bool StillAllowed(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tokens = context.RequestServices.GetRequiredService<TokenStore>();
        // Every role includes reading, so a token that is still in the file may still read.
        return !tokens.Enabled || tokens.Verify(TokenAuthenticationHandler.Presented(context.Request)) is not null;
    }
}
