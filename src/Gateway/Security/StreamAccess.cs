using System.Text;
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
    private static readonly byte[] Revoked = Encoding.UTF8.GetBytes(": token revoked\n\n");

    /// <summary>True, having told the client why in a comment line, when the stream must end; false while it may go on.</summary>
    public static async Task<bool> EndIfRevokedAsync(HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var tokens = context.RequestServices.GetRequiredService<TokenStore>();
        // Every role includes reading, so a token that is still in the file may still read.
        if (!tokens.Enabled || tokens.Verify(TokenAuthenticationHandler.Presented(context.Request)) is not null)
        {
            return false;
        }

        await context.Response.Body.WriteAsync(Revoked, cancellationToken);
        return true;
    }
}
