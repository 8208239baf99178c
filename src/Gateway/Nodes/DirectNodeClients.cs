using System.Collections.Concurrent;
using System.Net;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Serialization;

namespace Brummer.Gateway.Nodes;

/// <summary>
/// A connection of its own to each node: an Orleans client whose only gateway is that node's, so every call for the
/// node goes straight to it and a node that hangs (paused, swapping, cut off) holds up nothing but its own calls.
/// Until a node's connection is up, or if it cannot be made, calls go through the cluster-wide client.
/// Beside it, a push connection (<see cref="StatusPushReceiver"/>) carries the node's changes, read on a thread of its
/// own; while it is down, they come as Orleans observer calls.
/// </summary>
public sealed class DirectNodeClients(
    IClusterClient shared,
    Action<IClientBuilder> configure,
    PushConnectionSecurity pushSecurity,
    Serializer serializer,
    IOptions<GatewayOptions> options,
    ILogger<DirectNodeClients> logger) : NodeClients
{
    private readonly ConcurrentDictionary<string, Connection> _connections = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, StatusPushReceiver> _pushes = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _pushProblems = new(StringComparer.Ordinal); // node → what was last said
    private IStatusObserver? _observer;
    private IStatusObserver? _sharedReference;

    public override IGrainFactory For(string node) =>
        _connections.TryGetValue(node, out var connection) && connection.Client is { } client ? client : shared;

    public override IStatusObserver ObserverFor(string node) =>
        _connections.TryGetValue(node, out var connection) && connection.Reference is { } reference
            ? reference
            : _sharedReference ?? throw new InvalidOperationException("Register the observer first.");

    public override IMembershipGrain Membership(int attempt)
    {
        // The cluster-wide client first; after a poll that went unanswered, each node's own silo in turn.
        var direct = _connections.Values.Where(c => c.Client is not null).OrderBy(c => c.Node, StringComparer.Ordinal).ToList();
        var choice = attempt % (direct.Count + 1);
        return (choice == 0 ? shared : direct[choice - 1].Client!).GetGrain<IMembershipGrain>(0);
    }

    public override void Register(IStatusObserver observer)
    {
        _observer = observer;
        _sharedReference = shared.CreateObjectReference<IStatusObserver>(observer);
    }

    public override bool PushesDirectly(string node) => _pushes.TryGetValue(node, out var push) && push.IsOpen;

    public override int PushConnections => _pushes.Values.Count(push => push.IsOpen);

    public override void Learned(string node, long incarnation, string? gatewayEndpoint, string? pushEndpoint)
    {
        if (pushEndpoint is not null && IPEndPoint.TryParse(pushEndpoint, out var push))
        {
            LearnedPush(node, incarnation, push);
        }

        if (gatewayEndpoint is null || !IPEndPoint.TryParse(gatewayEndpoint, out var endpoint))
        {
            return;
        }

        if (ReplaceUnlessCurrent(
            _connections,
            node,
            current: c => c.Incarnation == incarnation && c.Endpoint.Equals(endpoint) && !c.Failed,
            create: () => new Connection(node, incarnation, endpoint),
            close: c => _ = c.CloseAsync(logger)) is { } connection)
        {
            _ = ConnectAsync(connection);
        }
    }

    public override void Forget(string node)
    {
        if (_connections.TryRemove(node, out var connection))
        {
            _ = connection.CloseAsync(logger);
        }

        if (_pushes.TryRemove(node, out var push))
        {
            push.Dispose();
        }
    }

    public override async ValueTask CloseAsync()
    {
        foreach (var push in _pushes.Values)
        {
            push.Dispose();
        }

        _pushes.Clear();
        await Task.WhenAll(_connections.Values.Select(c => c.CloseAsync(logger)));
        _connections.Clear();
        if (_sharedReference is not null)
        {
            shared.DeleteObjectReference<IStatusObserver>(_sharedReference);
        }
    }

    /// <summary>Opens a push connection unless one to this run of the node is open or opening; a failed one is tried again.</summary>
    private void LearnedPush(string node, long incarnation, IPEndPoint endpoint)
    {
        if (_observer is not { } observer)
        {
            return;
        }

        if (ReplaceUnlessCurrent(
            _pushes,
            node,
            current: r => r.Incarnation == incarnation && r.Endpoint.Equals(endpoint) && !r.HasEnded,
            create: () => new StatusPushReceiver(node, incarnation, endpoint, observer, serializer),
            close: r => r.Dispose()) is { } receiver)
        {
            _ = OpenPushAsync(receiver);
        }
    }

    /// <summary>
    /// Puts a new entry for <paramref name="node"/> in place unless the one there is <paramref name="current"/> (same
    /// run, same endpoint, not failed); the one it replaces is closed. Returns the new entry for the caller to start, or
    /// null when the existing one stays. Safe against concurrent callers: exactly one of them adds.
    /// </summary>
    private static T? ReplaceUnlessCurrent<T>(ConcurrentDictionary<string, T> entries, string node, Func<T, bool> current, Func<T> create, Action<T> close)
        where T : class
    {
        T? added = null;
        while (true)
        {
            if (entries.TryGetValue(node, out var existing))
            {
                if (current(existing))
                {
                    return null;
                }

                if (!entries.TryRemove(KeyValuePair.Create(node, existing)))
                {
                    continue;
                }

                close(existing);
            }

            added ??= create();
            if (entries.TryAdd(node, added))
            {
                return added;
            }
        }
    }

    private async Task OpenPushAsync(StatusPushReceiver receiver)
    {
        receiver.Ended += (ended, reason) =>
        {
            logger.LogWarning("The push connection from node {Node} ended ({Reason}); its changes come over the cluster connection until it is back", ended.Node, reason);
            OnPushLost(ended.Node);
        };
        if (await receiver.OpenAsync(pushSecurity.NewTls(), CancellationToken.None) is { } problem)
        {
            receiver.Dispose();
            // Tried again on every pull of the node: said once, and again only if the reason changes.
            var level = _pushProblems.TryGetValue(receiver.Node, out var said) && said == problem ? LogLevel.Debug : LogLevel.Information;
            _pushProblems[receiver.Node] = problem;
            logger.Log(level, "Could not open a push connection to node {Node} at {Endpoint} ({Reason}); its changes come over the cluster connection", receiver.Node, receiver.Endpoint, problem);
            return;
        }

        _pushProblems.TryRemove(receiver.Node, out _);
        logger.LogInformation("Node {Node} pushes its changes over a connection of its own at {Endpoint}", receiver.Node, receiver.Endpoint);
        OnConnected(receiver.Node);
    }

    private async Task ConnectAsync(Connection connection)
    {
        var builder = new HostBuilder().UseOrleansClient(client =>
        {
            configure(client);
            client.UseStaticClustering(connection.Endpoint);
        });
        var host = builder.Build();
        try
        {
            using var timeout = new CancellationTokenSource(options.Value.CallTimeout);
            await host.StartAsync(timeout.Token);
            var client = host.Services.GetRequiredService<IClusterClient>();
            connection.Host = host;
            connection.Reference = _observer is null ? null : client.CreateObjectReference<IStatusObserver>(_observer);
            connection.Client = client;
            logger.LogInformation("Connected to node {Node} directly at {Endpoint}", connection.Node, connection.Endpoint);
            OnConnected(connection.Node);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Calls keep going through the cluster-wide client; the next resync of the node tries again.
            connection.Failed = true;
            logger.LogInformation("Could not connect to node {Node} directly at {Endpoint} ({Reason}); using the cluster connection", connection.Node, connection.Endpoint, ex.Message);
            host.Dispose();
        }
    }

    private sealed class Connection(string node, long incarnation, IPEndPoint endpoint)
    {
        public string Node { get; } = node;

        public long Incarnation { get; } = incarnation;

        public IPEndPoint Endpoint { get; } = endpoint;

        public volatile bool Failed;

        public IHost? Host { get; set; }

        public IStatusObserver? Reference { get; set; }

        public IClusterClient? Client { get; set; }

        public async Task CloseAsync(ILogger logger)
        {
            var host = Host;
            Client = null;
            if (host is null)
            {
                return;
            }

            try
            {
                using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(2));
                await host.StopAsync(timeout.Token);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogDebug(ex, "Closing the connection to node {Node} failed", Node);
            }
            finally
            {
                host.Dispose();
            }
        }
    }
}
