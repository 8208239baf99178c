using System.Runtime.CompilerServices;

namespace Brummer.Grains.Status;

/// <summary>
/// 128 bytes of nothing (two cache lines: adjacent-line prefetch pairs them): placed after the fields readers touch,
/// it keeps the next object on the heap (often one that writers change, like a lock) off their cache lines.
/// </summary>
[InlineArray(16)]
internal struct CacheLinePad
{
#pragma warning disable IDE0044, IDE0051, CS0169 // never read or written: it only takes up room
    private long _element;
#pragma warning restore IDE0044, IDE0051, CS0169
}
