using System.Net.Sockets;
using Brummer.Grains.Discovery;

namespace Brummer.Grains.Processes.Health;

/// <summary>tcp: passes when a connection to the port opens (it is closed at once).</summary>
public sealed class TcpProbeCheck(TcpCheck check) : IProbeCheck
{
    private readonly string _endpoint = check.Host.Contains(':', StringComparison.Ordinal) ? $"[{check.Host}]:{check.Port}" : $"{check.Host}:{check.Port}";

    public string Description => $"connection to {_endpoint}";

    public async ValueTask<ProbeOutcome> CheckAsync(CancellationToken cancellationToken)
    {
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            await socket.ConnectAsync(check.Host, check.Port, cancellationToken).ConfigureAwait(false);
            return ProbeOutcome.Pass($"{Description} opened");
        }
        catch (SocketException ex) when (!cancellationToken.IsCancellationRequested)
        {
            return ProbeOutcome.Fail(ex.SocketErrorCode switch
            {
                SocketError.ConnectionRefused => $"{Description} refused",
                SocketError.HostNotFound or SocketError.NoData => $"{Description} failed: host '{check.Host}' not found",
                _ => $"{Description} failed: {ex.Message}",
            });
        }
    }
}
