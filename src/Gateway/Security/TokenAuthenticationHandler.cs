using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;

namespace Brummer.Gateway.Security;

/// <summary>
/// Bearer tokens from the <see cref="TokenStore"/>: <c>Authorization: Bearer brm_…</c> names the caller and its role.
/// With authentication off (no token file, loopback only) every caller is the local user with every role, so one
/// authorization path serves both cases.
/// </summary>
internal sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenStore tokens) : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "BrummerToken";

    private const string Realm = "brummer";

    protected override Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        if (!tokens.Enabled)
        {
            return Task.FromResult(Success("local", GatewayRole.Admin));
        }

        if (StringValues.IsNullOrEmpty(Request.Headers.Authorization))
        {
            return Task.FromResult(AuthenticateResult.NoResult());
        }

        if (tokens.Verify(Presented(Request)) is not { } token)
        {
            return Task.FromResult(AuthenticateResult.Fail("The token is not valid (unknown, revoked or mistyped)."));
        }

        return Task.FromResult(Success(token.Name, token.Role));
    }

    protected override async Task HandleChallengeAsync(AuthenticationProperties properties)
    {
        var result = await HandleAuthenticateOnceSafeAsync();
        var invalid = result.Failure is not null;
        Response.StatusCode = StatusCodes.Status401Unauthorized;
        Response.Headers.WWWAuthenticate = invalid
            ? $"Bearer realm=\"{Realm}\", error=\"invalid_token\", error_description=\"unknown or revoked token\""
            : $"Bearer realm=\"{Realm}\"";
        var detail = invalid
            ? "The token is not valid (unknown, revoked or mistyped). Ask the cluster's admin for one: brummer token create NAME --role read|operate|admin"
            : "This gateway requires a token: send 'Authorization: Bearer TOKEN' (CLI: --token or BRUMMER_TOKEN). An admin makes one with: brummer token create NAME --role read|operate|admin";
        Logger.LogInformation("{Method} {Path} refused: {Reason}", Request.Method, Request.Path.Value, invalid ? "invalid token" : "no token");
        await Problems.WriteAsync(Context, StatusCodes.Status401Unauthorized, detail);
    }

    /// <summary>The token a request presents as <c>Authorization: Bearer …</c>; empty when it presents none.</summary>
    public static ReadOnlySpan<char> Presented(HttpRequest request)
    {
        ArgumentNullException.ThrowIfNull(request);
        const string bearer = "Bearer ";
        var header = request.Headers.Authorization.ToString();
        return header.StartsWith(bearer, StringComparison.OrdinalIgnoreCase) ? header.AsSpan(bearer.Length).Trim() : [];
    }

    private static AuthenticateResult Success(string name, GatewayRole role)
    {
        var identity = new ClaimsIdentity(
            [new Claim(ClaimTypes.Name, name), new Claim(GatewayRoles.ClaimType, role.ToWireName())],
            SchemeName,
            ClaimTypes.Name,
            GatewayRoles.ClaimType);
        return AuthenticateResult.Success(new AuthenticationTicket(new ClaimsPrincipal(identity), SchemeName));
    }
}

/// <summary>Registers <see cref="TokenAuthenticationHandler"/>, as <see cref="RoleAuthorization.AddRoleAuthorization"/> registers the policies.</summary>
internal static class TokenAuthentication
{
    /// <summary>
    /// The token scheme as the only one. Not <c>AddAuthentication</c>: it also adds data protection, whose hosted service
    /// loads a key ring at start-up (XML, before Kestrel listens) and on a first run writes a key into
    /// ~/.aspnet/DataProtection-Keys. Bearer tokens need neither, and a dev tool has no business writing there.
    /// </summary>
    public static IServiceCollection AddTokenAuthentication(this IServiceCollection services)
    {
        services.AddAuthenticationCore(o => o.DefaultScheme = TokenAuthenticationHandler.SchemeName);
        services.AddWebEncoders();
        services.TryAddSingleton(TimeProvider.System);
        new AuthenticationBuilder(services).AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
        return services;
    }
}
