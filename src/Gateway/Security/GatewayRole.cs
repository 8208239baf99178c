using System.Security.Claims;

namespace Brummer.Gateway.Security;

/// <summary>What a token may do. Each role includes the ones below it. Values are pinned: they are stored in token files.</summary>
public enum GatewayRole
{
    /// <summary>List, status, logs, errors, URLs.</summary>
    Read = 1,

    /// <summary>Also run, stop and restart scripts.</summary>
    Operate = 2,

    /// <summary>Everything, including what later versions add.</summary>
    Admin = 3,
}

/// <summary>The least role an MCP tool or API route needs; without it, <see cref="GatewayRole.Read"/>.</summary>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false)]
public sealed class RequiresRoleAttribute(GatewayRole role) : Attribute
{
    public GatewayRole Role { get; } = role;
}

public static class GatewayRoles
{
    /// <summary>The claim carrying a caller's role (one claim, the highest role the token has).</summary>
    public const string ClaimType = "brummer:role";

    public static string ToWireName(this GatewayRole role) => role switch
    {
        GatewayRole.Read => "read",
        GatewayRole.Operate => "operate",
        GatewayRole.Admin => "admin",
        _ => throw new ArgumentOutOfRangeException(nameof(role), role, "Unknown role."),
    };

    public static bool TryParse(string? text, out GatewayRole role)
    {
        role = text switch
        {
            "read" => GatewayRole.Read,
            "operate" => GatewayRole.Operate,
            "admin" => GatewayRole.Admin,
            _ => 0,
        };
        return role != 0;
    }

    /// <summary>The caller's role; none (0) for a caller that is not authenticated.</summary>
    public static GatewayRole RoleOf(ClaimsPrincipal? user) =>
        user?.FindFirst(ClaimType)?.Value is { } value && TryParse(value, out var role) ? role : 0;

    /// <summary>A name for the caller in messages and logs: the token's name.</summary>
    public static string NameOf(ClaimsPrincipal? user) => user?.Identity?.Name ?? "anonymous";
}
