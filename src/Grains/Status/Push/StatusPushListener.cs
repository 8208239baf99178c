using System.Collections.Concurrent;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace Brummer.Grains.Status.Push;

/// <summary>
/// Takes gateways' push connections on the node's <see cref="StatusPushPort"/>: checks the cluster's mutual TLS and the
/// greeting, then subscribes each connection to the node's pushes for as long as it stays open.
/// </summary>
internal sealed partial class StatusPushListener(
    StatusPushPort port,
    StatusSubscriptions subscriptions,
    NodeStatusTable table,
    Serializer serializer,
    ILogger<StatusPushListener> logger) : BackgroundService
{
    /// <summary>
    /// Open push connections a node keeps: one per gateway, and gateways are few. Each costs a thread, so a peer that
    /// opens connections by the thousand (anyone can, without cluster TLS) is refused past this.
    /// </summary>
    public const int DefaultMaxConnections = 64;

    /// <summary>How long a peer gets to complete TLS and greet before it is hung up on.</summary>
    private static readonly TimeSpan HandshakeLimit = TimeSpan.FromSeconds(10);

    private readonly ConcurrentDictionary<StatusPushConnection, byte> _open = new();

    /// <summary>See <see cref="DefaultMaxConnections"/>; lower in tests.</summary>
    internal int MaxConnections { get; init; } = DefaultMaxConnections;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        LogListening(logger, table.Node, port.Endpoint.ToString(), port.Tls is null ? "off" : "on");
        while (!stoppingToken.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await port.Socket.AcceptAsync(stoppingToken);
            }
            catch (Exception ex) when (ex is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException ex)
            {
                LogAcceptFailed(logger, ex.Message);
                continue;
            }

            _ = ServeAsync(socket, stoppingToken);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        port.Dispose();
        foreach (var connection in _open.Keys)
        {
            connection.Close("the node is stopping");
        }
    }

    private async Task ServeAsync(Socket socket, CancellationToken stopping)
    {
        var peer = socket.RemoteEndPoint?.ToString() ?? "?";
        socket.NoDelay = true;
        Stream stream = new NetworkStream(socket, ownsSocket: true);
        try
        {
            using var limit = CancellationTokenSource.CreateLinkedTokenSource(stopping);
            limit.CancelAfter(HandshakeLimit);
            if (port.Tls is { } tls)
            {
                var secure = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = secure;
                await secure.AuthenticateAsServerAsync(tls, limit.Token);
            }

            var greeting = new byte[StatusPushWire.Greeting.Length];
            await stream.ReadExactlyAsync(greeting, limit.Token);
            if (!StatusPushWire.Greeting.SequenceEqual(greeting))
            {
                LogRefused(logger, peer, "it did not greet as a gateway");
                await stream.DisposeAsync();
                return;
            }
        }
        catch (AuthenticationException ex)
        {
            LogUntrusted(logger, peer, ex.Message);
            await stream.DisposeAsync();
            return;
        }
        catch (Exception ex) when (ex is IOException or SocketException or OperationCanceledException or ObjectDisposedException)
        {
            LogRefused(logger, peer, ex is OperationCanceledException ? "it did not complete the handshake in time" : ex.Message);
            await stream.DisposeAsync();
            return;
        }

        if (_open.Count >= MaxConnections)
        {
            LogTooMany(logger, peer, MaxConnections);
            await stream.DisposeAsync();
            return;
        }

        using var connection = new StatusPushConnection(socket, stream, serializer, new PushHello(table.Node, table.Incarnation), logger);
        _open[connection] = 0;
        subscriptions.Attach(connection);
        connection.Start();
        LogOpened(logger, peer);
        await connection.Closed;
        subscriptions.Unsubscribe(connection);
        _open.TryRemove(connection, out _);
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Node {Node} takes push connections from gateways at {Endpoint} (TLS {Tls})")]
    private static partial void LogListening(ILogger logger, string node, string endpoint, string tls);

    [LoggerMessage(Level = LogLevel.Information, Message = "Gateway {Peer} opened a push connection")]
    private static partial void LogOpened(ILogger logger, string peer);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Refused a push connection from {Peer}: {Reason}")]
    private static partial void LogRefused(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a push connection from {Peer}: it is not a member of this cluster ({Reason})")]
    private static partial void LogUntrusted(ILogger logger, string peer, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Refused a push connection from {Peer}: {Max} are open already, far more than a cluster has gateways")]
    private static partial void LogTooMany(ILogger logger, string peer, int max);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Accepting a push connection failed: {Reason}")]
    private static partial void LogAcceptFailed(ILogger logger, string reason);
}
