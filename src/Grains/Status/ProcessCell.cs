using Brummer.Grains.Abstractions;

namespace Brummer.Grains.Status;

/// <summary>
/// The slot of one script in a <see cref="NodeStatusTable"/>: a single reference to its latest immutable
/// <see cref="ProcessInfo"/>. Reading it is one volatile load.
/// </summary>
public sealed class ProcessCell
{
    private ProcessInfo? _current;
    private ScriptInfo _script;

    internal ProcessCell(ScriptInfo script) => _script = script;

    /// <summary>The script as last defined (a reload may change its command, never its name).</summary>
    public ScriptInfo Script
    {
        get => Volatile.Read(ref _script);
        internal set => Volatile.Write(ref _script, value);
    }

    /// <summary>Its index in the snapshot's process list; -1 until first published. Written under the table's lock.</summary>
    internal int Position { get; set; } = -1;

    /// <summary>The latest published view, or null if the script has never run.</summary>
    public ProcessInfo? Current => Volatile.Read(ref _current);

    internal void Set(ProcessInfo info) => Volatile.Write(ref _current, info);
}
