using Brummer.Grains.Abstractions;

namespace Brummer.Grains.Status;

/// <summary>
/// The slot of one script in a <see cref="NodeStatusTable"/>: a single reference to its latest immutable
/// <see cref="ProcessInfo"/>. Reading it is one volatile load.
/// </summary>
public sealed class ProcessCell
{
    private ProcessInfo? _current;

    internal ProcessCell(ScriptInfo script, int slot)
    {
        Script = script;
        Slot = slot;
    }

    public ScriptInfo Script { get; }

    internal int Slot { get; }

    /// <summary>The latest published view, or null if the script has never run.</summary>
    public ProcessInfo? Current => Volatile.Read(ref _current);

    internal void Set(ProcessInfo info) => Volatile.Write(ref _current, info);
}
