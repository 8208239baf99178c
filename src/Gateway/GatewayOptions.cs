namespace Brummer.Gateway;

public sealed class GatewayOptions
{
    /// <summary>The node tools act on when a call names none. Null: the only node, if there is exactly one.</summary>
    public string? DefaultNode { get; set; }

    /// <summary>
    /// How often the gateway re-reads membership, renews its subscriptions and pulls every node's snapshot:
    /// the safety net behind pushed updates.
    /// </summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(10);
}
