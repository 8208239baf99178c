using System.Buffers;
using System.Collections.Concurrent;
using System.Net.Sockets;
using System.Runtime.InteropServices;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Logging;
using Orleans.Serialization;

namespace Brummer.Grains.Status.Push;

/// <summary>
/// One gateway's push connection, as the node sees it: an observer of the node's pushes that writes them to the
/// socket from a thread of its own, so a push never waits for the node's thread pool, and a gateway that stops reading
/// costs the node one bounded queue and is then hung up on (its gateway falls back to the Orleans observer and pulls).
/// </summary>
internal sealed partial class StatusPushConnection : IStatusObserver, IDisposable
{
    /// <summary>Pushes queued for a gateway that does not read: 17 minutes of heartbeats, far more than any burst of changes.</summary>
    private const int MaxQueued = 512;

    private readonly Socket _socket;
    private readonly Stream _stream;
    private readonly Serializer _serializer;
    private readonly string _peer;
    private readonly ILogger _logger;
    private readonly BlockingCollection<(PushFrame Kind, object Payload)> _frames = new(new ConcurrentQueue<(PushFrame, object)>(), MaxQueued);
    private readonly CancellationTokenSource _closed = new();
    private readonly TaskCompletionSource _acked = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _closedTask = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _closing;

    public StatusPushConnection(Socket socket, Stream stream, Serializer serializer, PushHello hello, ILogger logger)
    {
        _socket = socket;
        _stream = stream;
        _serializer = serializer;
        _peer = socket.RemoteEndPoint?.ToString() ?? "?";
        _logger = logger;
        _frames.Add((PushFrame.Hello, hello));
    }

    /// <summary>Completes when the connection is closed, by either side; the reason is logged.</summary>
    public Task Closed => _closedTask.Task;

    public void Start()
    {
        new Thread(WriteFrames, StatusPushWire.ThreadStackBytes) { IsBackground = true, Name = "brummer push writer" }.Start();
        _ = ReadAcksAsync();
    }

    public Task OnChangesAsync(NodeDelta delta)
    {
        Enqueue(PushFrame.Changes, delta);
        return Task.CompletedTask;
    }

    /// <summary>Completes once the gateway confirms the goodbye arrived, or the connection ends.</summary>
    public Task OnLeavingAsync(NodeDelta delta)
    {
        Enqueue(PushFrame.Leaving, delta);
        return Task.WhenAny(_acked.Task, _closedTask.Task);
    }

    public void Close(string reason)
    {
        if (Interlocked.Exchange(ref _closing, 1) != 0)
        {
            return;
        }

        LogClosed(_logger, _peer, reason);
        _closed.Cancel();
        _frames.CompleteAdding();
        try
        {
            _socket.Shutdown(SocketShutdown.Both);
        }
        catch (SocketException)
        {
            // Already reset by the peer.
        }
        catch (ObjectDisposedException)
        {
        }

        _stream.Dispose();
        _closedTask.TrySetResult();
    }

    public void Dispose()
    {
        Close("the node is stopping");
        _frames.Dispose();
        _closed.Dispose();
    }

    private void Enqueue(PushFrame kind, NodeDelta delta)
    {
        bool added;
        try
        {
            added = _frames.TryAdd((kind, delta));
        }
        catch (Exception ex) when (ex is InvalidOperationException or ObjectDisposedException)
        {
            return; // closed
        }

        if (!added)
        {
            Close($"the gateway read none of the last {MaxQueued} pushes");
        }
    }

    private void WriteFrames()
    {
        var buffer = new ArrayBufferWriter<byte>(4096);
        try
        {
            foreach (var (kind, payload) in _frames.GetConsumingEnumerable(_closed.Token))
            {
                buffer.ResetWrittenCount();
                buffer.Advance(StatusPushWire.HeaderLength);
                if (payload is NodeDelta delta)
                {
                    _serializer.Serialize(delta, buffer);
                }
                else
                {
                    _serializer.Serialize((PushHello)payload, buffer);
                }

                var frame = MemoryMarshal.AsMemory(buffer.WrittenMemory).Span;
                StatusPushWire.WriteHeader(frame, kind, frame.Length - StatusPushWire.HeaderLength);
                _stream.Write(frame);
                _stream.Flush();
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Close($"writing failed: {ex.Message}");
        }
    }

    private async Task ReadAcksAsync()
    {
        var one = new byte[1];
        try
        {
            while (true)
            {
                if (await _stream.ReadAsync(one, _closed.Token) == 0)
                {
                    Close("the gateway hung up");
                    return;
                }

                if (one[0] != StatusPushWire.Ack)
                {
                    Close($"the gateway sent byte {one[0]}, not an acknowledgement");
                    return;
                }

                _acked.TrySetResult();
            }
        }
        catch (OperationCanceledException)
        {
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException)
        {
            Close($"reading failed: {ex.Message}");
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Push connection from gateway {Peer} closed: {Reason}")]
    private static partial void LogClosed(ILogger logger, string peer, string reason);
}
