using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Authorization.Policy;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Brummer.Gateway.Security;

/// <summary>One authorization policy per role, named after it; a policy admits its role and every role above.</summary>
internal static class RoleAuthorization
{
    public static string Policy(GatewayRole role) => role.ToWireName();

    public static void AddPolicies(AuthorizationOptions options)
    {
        foreach (var role in Enum.GetValues<GatewayRole>())
        {
            options.AddPolicy(Policy(role), policy => policy
                .AddAuthenticationSchemes(TokenAuthenticationHandler.SchemeName)
                .RequireAuthenticatedUser()
                .AddRequirements(new RoleRequirement(role)));
        }
    }

    /// <summary>A requirement that is its own handler (ASP.NET Core's pass-through handler runs it).</summary>
    public sealed class RoleRequirement(GatewayRole role) : AuthorizationHandler<RoleRequirement>, IAuthorizationRequirement
    {
        public GatewayRole Role { get; } = role;

        protected override Task HandleRequirementAsync(AuthorizationHandlerContext context, RoleRequirement requirement)
        {
            if (GatewayRoles.RoleOf(context.User) >= requirement.Role)
            {
                context.Succeed(requirement);
            }

            return Task.CompletedTask;
        }
    }

    /// <summary>A 403 that says which role the route needs and which the token has, as problem details.</summary>
    public sealed class ResultHandler(ILogger<ResultHandler> logger) : IAuthorizationMiddlewareResultHandler
    {
        private readonly AuthorizationMiddlewareResultHandler _default = new();

        public Task HandleAsync(RequestDelegate next, HttpContext context, AuthorizationPolicy policy, PolicyAuthorizationResult authorizeResult)
        {
            ArgumentNullException.ThrowIfNull(context);
            ArgumentNullException.ThrowIfNull(policy);
            ArgumentNullException.ThrowIfNull(authorizeResult);
            if (!authorizeResult.Forbidden)
            {
                return _default.HandleAsync(next, context, policy, authorizeResult);
            }

            var needs = policy.Requirements.OfType<RoleRequirement>().Select(r => r.Role).DefaultIfEmpty(GatewayRole.Admin).Max();
            var has = GatewayRoles.RoleOf(context.User);
            var detail = $"{context.Request.Method} {context.Request.Path} needs the {needs.ToWireName()} role; this token ('{GatewayRoles.NameOf(context.User)}') has {(has == 0 ? "none" : has.ToWireName())}.";
            logger.LogInformation("Refused: {Detail}", detail);
            return Problems.WriteAsync(context, StatusCodes.Status403Forbidden, detail);
        }
    }

    public static IServiceCollection AddRoleAuthorization(this IServiceCollection services)
    {
        services.AddAuthorization(AddPolicies);
        services.AddSingleton<IAuthorizationMiddlewareResultHandler, ResultHandler>();
        return services;
    }
}
