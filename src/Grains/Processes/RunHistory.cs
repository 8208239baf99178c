using System.Collections.Immutable;
using Brummer.Grains.Abstractions;

namespace Brummer.Grains.Processes;

/// <summary>
/// A process's last <see cref="Capacity"/> runs, oldest first. Written by its supervisor as runs begin and end; read
/// as an immutable snapshot.
/// </summary>
public sealed class RunHistory
{
    public const int Capacity = 20;

    private readonly Lock _gate = new();
    private ImmutableArray<RunRecord> _runs = [];

    public ImmutableArray<RunRecord> Runs
    {
        get
        {
            lock (_gate)
            {
                return _runs;
            }
        }
    }

    public void Begin(RunRecord run)
    {
        ArgumentNullException.ThrowIfNull(run);
        lock (_gate)
        {
            var runs = _runs.Length >= Capacity ? _runs.RemoveRange(0, _runs.Length - Capacity + 1) : _runs;
            _runs = runs.Add(run);
        }
    }

    /// <summary>Records how run <paramref name="number"/> ended (a run already dropped from the history is ignored).</summary>
    public void End(int number, Func<RunRecord, RunRecord> ended)
    {
        ArgumentNullException.ThrowIfNull(ended);
        lock (_gate)
        {
            var index = _runs.Length - 1;
            while (index >= 0 && _runs[index].Run != number)
            {
                index--;
            }

            if (index >= 0)
            {
                _runs = _runs.SetItem(index, ended(_runs[index]));
            }
        }
    }
}
