using System.ComponentModel;
using System.Text.Json.Serialization;

namespace Brummer.Gateway.Contracts;

[Description("Who the caller is to this gateway.")]
public sealed record WhoAmIResult(
    [property: JsonPropertyName("name"), Description("The token's name; 'local' when the gateway requires no token.")] string Name,
    [property: JsonPropertyName("role"), Description("read, operate or admin.")] string Role,
    [property: JsonPropertyName("tokens_required"), Description("True when the gateway requires a token (it was started with a token file).")] bool TokensRequired,
    [property: JsonPropertyName("can_control"), Description("True when the caller may run, stop and restart scripts: an operate or admin role, on a gateway that is not read-only.")] bool CanControl);
