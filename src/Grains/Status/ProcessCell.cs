using Brummer.Grains.Abstractions;

namespace Brummer.Grains.Status;

/// <summary>
/// The slot of one script in a <see cref="NodeStatusTable"/>: a reference to its latest immutable
/// <see cref="ProcessInfo"/>, and to the one before it. Reading the latest is one volatile load; the one before lets
/// a reader that fixed an earlier version of the table still see that version, without a lock, while a write lands.
/// </summary>
public sealed class ProcessCell
{
    private ProcessInfo? _current;
    private ProcessInfo? _prior;
    private ScriptInfo _script;
#pragma warning disable IDE0044, IDE0051, CS0169 // only takes up room: a write to the next cell must not evict this one
    private CacheLinePad _pad;
#pragma warning restore IDE0044, IDE0051, CS0169

    internal ProcessCell(ScriptInfo script) => _script = script;

    /// <summary>The script as last defined (a reload may change its command, never its name).</summary>
    public ScriptInfo Script
    {
        get => Volatile.Read(ref _script);
        internal set => Volatile.Write(ref _script, value);
    }

    /// <summary>The latest published view, or null if the script has never run.</summary>
    public ProcessInfo? Current => Volatile.Read(ref _current);

    /// <summary>Called under the table's write lock, before the table publishes the new version number.</summary>
    internal void Set(ProcessInfo info)
    {
        // The release of the second write orders the first before it: a reader that sees the new view sees its prior.
        _prior = _current;
        Volatile.Write(ref _current, info);
    }

    /// <summary>
    /// The view this cell had at table version <paramref name="version"/>: <see cref="CellRead.Present"/> with it,
    /// <see cref="CellRead.Absent"/> if the script had not run by then, or <see cref="CellRead.Overtaken"/> when two
    /// writes landed since (the reader retries at a newer version; that only happens when writers made progress).
    /// </summary>
    internal CellRead ReadAt(long version, out ProcessInfo? info)
    {
        info = Volatile.Read(ref _current);
        if (info is null || info.Version <= version)
        {
            return info is null ? CellRead.Absent : CellRead.Present;
        }

        info = Volatile.Read(ref _prior);
        if (info is null)
        {
            return CellRead.Absent; // Its first run is newer than the version read.
        }

        return info.Version <= version ? CellRead.Present : CellRead.Overtaken;
    }
}

internal enum CellRead
{
    Absent,
    Present,
    Overtaken,
}
