using System.Buffers.Binary;

namespace Brummer.Grains.Abstractions;

/// <summary>
/// The push connection: a TCP connection (with the cluster's mutual TLS when it has one) that a gateway opens to a
/// node's <see cref="NodeSnapshot.PushEndpoint"/>, over which the node sends the same deltas it would send an
/// <see cref="IStatusObserver"/>. It exists so that a gateway reads pushes on a thread of its own and applies them
/// there: an Orleans observer call reaches the gateway through the thread pool three times (socket completion, pipe
/// reader, observer dispatch), each time behind whatever request work is queued.
/// </summary>
/// <remarks>
/// The gateway sends <see cref="Greeting"/>; the node answers with a <see cref="PushFrame.Hello"/> naming itself, then
/// sends <see cref="PushFrame.Changes"/> and, once, <see cref="PushFrame.Leaving"/>, which the gateway answers with
/// <see cref="Ack"/>. Every frame is a <see cref="HeaderLength"/>-byte header (kind, then payload length, little-endian)
/// and an Orleans-serialized payload (<see cref="PushHello"/> or <see cref="NodeDelta"/>).
/// </remarks>
public static class StatusPushWire
{
    public const int HeaderLength = 5;

    /// <summary>Far above any real delta (100 processes serialize to a few tens of KB); more is not a node talking.</summary>
    public const int MaxPayload = 16 << 20;

    /// <summary>Stack of each end's thread (one per connection): serializing a delta is shallow work.</summary>
    public const int ThreadStackBytes = 256 * 1024;

    /// <summary>The gateway's answer to <see cref="PushFrame.Leaving"/>: the goodbye arrived.</summary>
    public const byte Ack = 0x06;

    /// <summary>What a gateway sends first, so a node never takes a port scanner or a stray client for a gateway.</summary>
    public static ReadOnlySpan<byte> Greeting => "BRUMMER-PUSH/1\n"u8;

    public static void WriteHeader(Span<byte> header, PushFrame kind, int length)
    {
        header[0] = (byte)kind;
        BinaryPrimitives.WriteInt32LittleEndian(header[1..], length);
    }

    /// <summary>Reads a header; false (with the reason) when it is not one a node sends.</summary>
    public static bool TryReadHeader(ReadOnlySpan<byte> header, out PushFrame kind, out int length, out string? problem)
    {
        kind = (PushFrame)header[0];
        length = BinaryPrimitives.ReadInt32LittleEndian(header[1..]);
        problem = kind is not (PushFrame.Hello or PushFrame.Changes or PushFrame.Leaving) ? $"unknown frame kind {header[0]}"
            : length is < 0 or > MaxPayload ? $"frame of {length} bytes"
            : null;
        return problem is null;
    }
}

public enum PushFrame : byte
{
    Hello = 1,
    Changes = 2,
    Leaving = 3,
}

/// <summary>The node's first frame: who it is, so a gateway that reached another node (or another run) hangs up.</summary>
[GenerateSerializer, Immutable, Alias("brummer.push-hello")]
public sealed record PushHello([property: Id(0)] string Node, [property: Id(1)] long Incarnation);
