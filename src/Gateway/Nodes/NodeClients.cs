using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Nodes;

/// <summary>
/// The way to each node. One Orleans client routes a call to any grain through whichever silo gateway its hash
/// picks, so a paused node's gateway would hold calls meant for healthy nodes; a gateway that may talk to several
/// machines therefore gives each node a connection of its own (<see cref="DirectNodeClients"/>). In one process with
/// the node (<c>brummer up</c>) there is nothing to route: every call goes through the co-hosted client.
/// </summary>
public abstract class NodeClients
{
    /// <summary>Raised when a node's own connection (or push connection) is ready, so the feed can move its subscription there.</summary>
    public event Action<string>? Connected;

    /// <summary>Raised when a node's push connection ended unasked: its changes must come through an Orleans subscription again.</summary>
    public event Action<string>? PushLost;

    /// <summary>The grain factory that reaches <paramref name="node"/> without passing through any other node.</summary>
    public abstract IGrainFactory For(string node);

    /// <summary>The status observer as <paramref name="node"/> must address it (a reference on that node's connection).</summary>
    public abstract IStatusObserver ObserverFor(string node);

    /// <summary>Who to ask about membership on the <paramref name="attempt"/>-th try: another silo each time one does not answer.</summary>
    public abstract IMembershipGrain Membership(int attempt);

    /// <summary>The object that receives every node's pushes; must be registered before any call to <see cref="ObserverFor"/>.</summary>
    public abstract void Register(IStatusObserver observer);

    /// <summary>
    /// True while <paramref name="node"/>'s changes arrive over a push connection of its own, which needs no Orleans
    /// subscription (and must not have one: every change would arrive twice).
    /// </summary>
    public virtual bool PushesDirectly(string node) => false;

    /// <summary>How many nodes push over a connection of their own now.</summary>
    public virtual int PushConnections => 0;

    /// <summary>Tells where a node's client gateway and push port listen (from its snapshot), for connections of its own.</summary>
    public virtual void Learned(string node, long incarnation, string? gatewayEndpoint, string? pushEndpoint)
    {
    }

    /// <summary>The node is gone (lost or left): its own connection, if any, is closed.</summary>
    public virtual void Forget(string node)
    {
    }

    /// <summary>Releases the observer references (and connections) before the gateway stops.</summary>
    public abstract ValueTask CloseAsync();

    protected void OnConnected(string node) => Connected?.Invoke(node);

    protected void OnPushLost(string node) => PushLost?.Invoke(node);
}

/// <summary>Every node through the one cluster client: right when the gateway shares a process with the only node.</summary>
public sealed class SharedNodeClients(IClusterClient client) : NodeClients
{
    private IStatusObserver? _reference;

    public override IGrainFactory For(string node) => client;

    public override IStatusObserver ObserverFor(string node) =>
        _reference ?? throw new InvalidOperationException("Register the observer first.");

    public override IMembershipGrain Membership(int attempt) => client.GetGrain<IMembershipGrain>(0);

    public override void Register(IStatusObserver observer) => _reference = client.CreateObjectReference<IStatusObserver>(observer);

    public override ValueTask CloseAsync()
    {
        if (_reference is not null)
        {
            client.DeleteObjectReference<IStatusObserver>(_reference);
        }

        return ValueTask.CompletedTask;
    }
}
