using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Brummer.Grains.Status;

/// <summary>
/// The cells of one layout by script name: an open-addressing table built once per layout and only read after, the
/// hot path of every status lookup by name. It hashes the whole name eight bytes at a time with a fixed function and
/// probes linearly, comparing stored hashes before strings; no virtual call, no allocation.
/// </summary>
/// <remarks>
/// A fixed (not per-process random) hash is safe here: the table holds only the node's own script names, read from its
/// files; a caller's name is looked up, never inserted, so no request can lengthen a probe sequence.
/// </remarks>
internal sealed class ScriptIndex
{
    private const ulong Seed = 0x9E3779B97F4A7C15;
    private const ulong Mix = 0xBF58476D1CE4E5B9;

    private readonly Entry[] _entries;
    private readonly int _shift;

    public static ScriptIndex Empty { get; } = new([]);

    public ScriptIndex(IReadOnlyList<ProcessCell> cells)
    {
        ArgumentNullException.ThrowIfNull(cells);
        // At most half full, so an absent name meets an empty slot within a probe or two.
        var capacity = (int)BitOperations.RoundUpToPowerOf2((uint)Math.Max(4, cells.Count * 2));
        _entries = new Entry[capacity];
        _shift = 64 - BitOperations.Log2((uint)capacity);
        foreach (var cell in cells)
        {
            var name = cell.Script.Name;
            var hash = Hash(name);
            var slot = Slot(hash);
            while (_entries[slot].Name is { } taken)
            {
                if (string.Equals(taken, name, StringComparison.Ordinal))
                {
                    throw new ArgumentException($"Script '{name}' is defined twice.", nameof(cells));
                }

                slot = (slot + 1) & (_entries.Length - 1);
            }

            _entries[slot] = new Entry(name, hash, cell);
        }
    }

    public bool TryGetValue(string name, out ProcessCell cell)
    {
        var hash = Hash(name);
        var entries = _entries;
        var slot = Slot(hash);
        while (true)
        {
            ref readonly var entry = ref entries[slot];
            if (entry.Name is null)
            {
                cell = null!;
                return false;
            }

            if (entry.Hash == hash && (ReferenceEquals(entry.Name, name) || string.Equals(entry.Name, name, StringComparison.Ordinal)))
            {
                cell = entry.Cell;
                return true;
            }

            slot = (slot + 1) & (entries.Length - 1);
        }
    }

    /// <summary>Multiplicative hashing: the top bits of the hash pick the slot.</summary>
    private int Slot(ulong hash) => (int)(hash >> _shift);

    private static ulong Hash(string name)
    {
        // Whole eight-byte words, the last one overlapping the one before it when the length is not a multiple of 8.
        ref var start = ref Unsafe.As<char, byte>(ref MemoryMarshal.GetReference(name.AsSpan()));
        var length = name.Length * sizeof(char);
        var hash = Seed * (ulong)(length + 1);
        if (length < sizeof(ulong))
        {
            // 0, 2, 4 or 6 bytes: the first and last 2 and 4 bytes cover them all.
            var low = length >= sizeof(uint) ? Unsafe.ReadUnaligned<uint>(ref start) : length > 0 ? Unsafe.ReadUnaligned<ushort>(ref start) : 0u;
            var high = length >= sizeof(uint) ? Unsafe.ReadUnaligned<uint>(ref Unsafe.Add(ref start, length - sizeof(uint))) : 0u;
            return Step(hash, ((ulong)high << 32) | low);
        }

        var last = length - sizeof(ulong);
        for (var offset = 0; offset < last; offset += sizeof(ulong))
        {
            hash = Step(hash, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, offset)));
        }

        return Step(hash, Unsafe.ReadUnaligned<ulong>(ref Unsafe.Add(ref start, last)));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Step(ulong hash, ulong chunk)
    {
        hash = (hash ^ chunk) * Mix;
        return hash ^ (hash >> 31);
    }

    private readonly record struct Entry(string? Name, ulong Hash, ProcessCell Cell);
}
