using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Authentication;
using Brummer.Grains.Abstractions;
using Orleans.Serialization;

namespace Brummer.Gateway.Nodes;

/// <summary>
/// A push connection to one node (<see cref="StatusPushWire"/>), read by a thread of its own that hands every delta
/// straight to the gateway's observer: a node's changes reach the view without passing through the thread pool, so
/// they never queue behind the requests the gateway is serving.
/// </summary>
internal sealed class StatusPushReceiver(
    string node,
    long incarnation,
    IPEndPoint endpoint,
    IStatusObserver observer,
    Serializer serializer) : IDisposable
{
    /// <summary>How long opening (TCP, TLS, the node's hello) may take before the gateway keeps to the Orleans observer.</summary>
    public static readonly TimeSpan OpenLimit = TimeSpan.FromSeconds(5);

    /// <summary>Silence after which the connection is given up: a node pushes a heartbeat every 2 s.</summary>
    public static readonly TimeSpan SilenceLimit = StatusSubscription.UnresponsiveAfter * 2;

    private volatile Stream? _stream;
    private volatile bool _open;
    private int _closing;

    public string Node => node;

    public long Incarnation => incarnation;

    public IPEndPoint Endpoint => endpoint;

    /// <summary>Pushes come over this connection now.</summary>
    public bool IsOpen => _open;

    /// <summary>Closed, failed to open, or ended: a new one is needed.</summary>
    public bool HasEnded => Volatile.Read(ref _closing) != 0;

    /// <summary>The connection ended without being closed by this side, with why.</summary>
    public event Action<StatusPushReceiver, string>? Ended;

    /// <summary>Connects, secures, greets and reads the node's hello; then starts the reading thread. Null, or why not.</summary>
    public async Task<string?> OpenAsync(SslClientAuthenticationOptions? tls, CancellationToken cancellationToken)
    {
        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(OpenLimit);
        var socket = new Socket(endpoint.AddressFamily, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        Stream? stream = null;
        try
        {
            await socket.ConnectAsync(endpoint, limit.Token);
            stream = new NetworkStream(socket, ownsSocket: true);
            if (tls is not null)
            {
                var secure = new SslStream(stream, leaveInnerStreamOpen: false);
                stream = secure;
                await secure.AuthenticateAsClientAsync(tls, limit.Token);
            }

            await stream.WriteAsync(StatusPushWire.Greeting.ToArray(), limit.Token);
            await stream.FlushAsync(limit.Token);
            var header = new byte[StatusPushWire.HeaderLength];
            await stream.ReadExactlyAsync(header, limit.Token);
            if (!StatusPushWire.TryReadHeader(header, out var kind, out var length, out var problem) || kind != PushFrame.Hello)
            {
                throw new InvalidDataException(problem ?? $"its first frame is {kind}, not a hello");
            }

            var payload = new byte[length];
            await stream.ReadExactlyAsync(payload, limit.Token);
            var hello = serializer.Deserialize<PushHello>(payload) ?? throw new InvalidDataException("an empty hello");
            if (hello.Node != node || hello.Incarnation != incarnation)
            {
                throw new InvalidDataException($"it is node {hello.Node} (run {hello.Incarnation}), not {node} (run {incarnation})");
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Refused, reset, timed out, not trusted, or not a node's answer: the Orleans observer carries on either way.
            if (stream is null)
            {
                socket.Dispose();
            }
            else
            {
                await stream.DisposeAsync();
            }

            return ex switch
            {
                OperationCanceledException when !cancellationToken.IsCancellationRequested => $"no answer within {OpenLimit.TotalSeconds:0} s",
                AuthenticationException => $"TLS failed: {ex.Message}",
                _ => ex.Message,
            };
        }

        // Blocking reads from here on, on the reading thread: a node silent past the limit is given up.
        socket.ReceiveTimeout = (int)SilenceLimit.TotalMilliseconds;
        _stream = stream;
        _open = true;
        if (Volatile.Read(ref _closing) != 0)
        {
            // Disposed while opening: it may have missed the stream.
            _open = false;
            stream.Dispose();
            return "closed while opening";
        }

        // One per node: a small stack keeps fifty of them cheap (a delta's deserialization is shallow).
        new Thread(Receive, StatusPushWire.ThreadStackBytes) { IsBackground = true, Name = $"brummer push {node}" }.Start();
        return null;
    }

    /// <summary>Closes the connection on purpose: no <see cref="Ended"/>.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            _open = false;
            _stream?.Dispose();
        }
    }

    private void Receive()
    {
        var stream = _stream!;
        var header = new byte[StatusPushWire.HeaderLength];
        var payload = new byte[4096];
        string reason;
        try
        {
            while (true)
            {
                stream.ReadExactly(header);
                if (!StatusPushWire.TryReadHeader(header, out var kind, out var length, out var problem) || kind == PushFrame.Hello)
                {
                    reason = problem ?? "a second hello";
                    break;
                }

                if (payload.Length < length)
                {
                    payload = new byte[Math.Max(length, payload.Length * 2)];
                }

                stream.ReadExactly(payload, 0, length);
                var delta = serializer.Deserialize<NodeDelta>(new ReadOnlyMemory<byte>(payload, 0, length)) ?? throw new InvalidDataException("an empty change");
                if (delta.Node != node)
                {
                    reason = $"it sent a change of node {delta.Node}";
                    break;
                }

                if (kind == PushFrame.Leaving)
                {
                    // Acknowledged first: taking the goodbye makes the gateway forget the node, which closes this connection.
                    stream.WriteByte(StatusPushWire.Ack);
                    stream.Flush();
                    _ = observer.OnLeavingAsync(delta);
                }
                else
                {
                    _ = observer.OnChangesAsync(delta);
                }
            }
        }
        catch (IOException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.TimedOut or SocketError.WouldBlock })
        {
            reason = $"silent for over {SilenceLimit.TotalSeconds:0.#} s";
        }
        catch (EndOfStreamException)
        {
            reason = "the node hung up";
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // A broken stream, a payload that does not deserialize, or a fault applying it: on this thread of its own,
            // an escaping exception would end the process.
            reason = ex.Message;
        }

        _open = false;
        stream.Dispose();
        if (Interlocked.Exchange(ref _closing, 1) == 0)
        {
            Ended?.Invoke(this, reason);
        }
    }
}
