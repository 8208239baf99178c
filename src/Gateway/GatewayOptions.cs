namespace Brummer.Gateway;

public sealed class GatewayOptions
{
    /// <summary>The node tools act on when a call names none. Null: the only node, if there is exactly one.</summary>
    public string? DefaultNode { get; set; }

    /// <summary>
    /// How often the gateway pulls every node's full snapshot and renews its subscriptions: the safety net behind
    /// pushed changes (which arrive within milliseconds, and whose gaps trigger an immediate pull).
    /// </summary>
    public TimeSpan ResyncInterval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The longest a membership long poll waits for a change. Changes (a node joining or declared dead) arrive as they
    /// happen; this only bounds how long a quiet poll lasts.
    /// </summary>
    public TimeSpan MembershipWait { get; set; } = TimeSpan.FromSeconds(2);

    /// <summary>How long a subscription, snapshot or tail call to a node may take before the gateway gives up on it.</summary>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a cluster-wide log question (search, errors, URLs) waits for the nodes. Each node is told when the
    /// gateway stops waiting and answers by then with what it found; a node that has not is named unreachable.
    /// </summary>
    public TimeSpan LogsTimeout { get; set; } = TimeSpan.FromSeconds(4);

    /// <summary>
    /// When no node of the cluster answers at all (so membership cannot declare anyone dead), how long a node may stay
    /// silent (no change, no heartbeat) before this gateway reports it lost on its own.
    /// </summary>
    public TimeSpan SilenceLimit { get; set; } = TimeSpan.FromSeconds(20);

    /// <summary>How long the gateway waits before retrying after the cluster could not be reached.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// The longest a run, stop or restart may take before the caller is told it timed out. A request the node had not
    /// started on by then never takes effect later.
    /// </summary>
    public TimeSpan ControlTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>The token file requests are checked against; null turns authentication off (hosts allow that on loopback only).</summary>
    public string? TokenFile { get; set; }

    /// <summary>
    /// True when the gateway listens on a non-loopback address. False (the default) makes it answer only requests
    /// that name a loopback host, which is what keeps DNS-rebinding pages out.
    /// </summary>
    public bool Exposed { get; set; }

    /// <summary>Web origins (e.g. http://localhost:5173) whose pages may call the gateway, besides its own.</summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>
    /// How often /api/events sends a comment line when nothing happens, so proxies and browsers keep the stream open
    /// and a client can tell a quiet cluster from a dead connection.
    /// </summary>
    public TimeSpan EventsHeartbeat { get; set; } = TimeSpan.FromSeconds(15);

    /// <summary>No control at all: run, stop and restart are neither listed nor routed, whatever a token's role.</summary>
    public bool ReadOnly { get; set; }
}
