using System.Net;
using System.Net.Sockets;

namespace Brummer.Silo;

/// <summary>
/// Picks an unused TCP port for a listener that binds it a moment later. The ports come from below every system's
/// default ephemeral range (Linux 32768–60999, Windows and macOS 49152–65535), where the system never hands out a port
/// on its own: a port chosen here cannot be taken meanwhile by an outgoing connection or by a listener on port 0 (a
/// node's push port). Within a process they are handed out in turn from a random start, so two callers never get the
/// same one.
/// </summary>
public static class FreePort
{
    private const int First = 20_000;
    private const int End = 32_768;

    private static readonly Lock Gate = new();
    private static int _next = Random.Shared.Next(First, End);

    public static int Next()
    {
        lock (Gate)
        {
            for (var tried = 0; tried < End - First; tried++)
            {
                var port = _next;
                _next = port + 1 == End ? First : port + 1;
                if (IsFree(port))
                {
                    return port;
                }
            }
        }

        return AnyFromTheSystem();
    }

    public static int OrNext(int port) => port > 0 ? port : Next();

    /// <summary>Free on every address: a listener on any one of them (loopback or another) makes it taken.</summary>
    private static bool IsFree(int port)
    {
        using var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.Bind(new IPEndPoint(IPAddress.Any, port));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int AnyFromTheSystem()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
