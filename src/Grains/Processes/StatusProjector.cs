using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Grains.Processes;

/// <summary>
/// The one writer of a process's row in the <see cref="NodeStatusTable"/>. Every view it publishes is derived from the
/// one it replaces (under one lock) and carries what the output analysis found so far; a flood of output republishes
/// the last line at most once per <see cref="ProcessOptions.LastLineInterval"/>, not once per line.
/// </summary>
public sealed class StatusProjector
{
    private readonly NodeStatusTable _table;
    private readonly ProcessOutput _output;
    private readonly TimeSpan _lastLineInterval;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly ProcessCell _cell;
    private long _shownSequence; // the line the published status shows
    private ProcessAction? _lastAction;
    private ProcessClaim? _claim;
    private ITimer? _claimLapse;
    private int _lastLineScheduled;

    public StatusProjector(string name, NodeStatusTable table, ProcessOutput output, ProcessOptions options, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(options);
        _table = table;
        _output = output;
        _lastLineInterval = options.LastLineInterval;
        _time = time;
        if (!table.TryGetCell(name, out _cell))
        {
            throw new ArgumentException($"'{name}' is not in the status table of node '{table.Node}'.", nameof(name));
        }

        output.LineStored += OnLineStored;
    }

    public string Node => _table.Node;

    /// <summary>The latest published view (null if never published).</summary>
    public ProcessInfo? Current => _cell.Current;

    /// <summary>Publishes the view <paramref name="next"/> derives from the current one (null if none yet).</summary>
    public ProcessInfo Publish(Func<ProcessInfo?, ProcessInfo> next)
    {
        ArgumentNullException.ThrowIfNull(next);
        lock (_gate)
        {
            return PublishCore(next(_cell.Current));
        }
    }

    /// <summary>Publishes <paramref name="next"/>'s view only while <paramref name="when"/> holds for the current one.</summary>
    public bool TryPublish(Func<ProcessInfo?, bool> when, Func<ProcessInfo?, ProcessInfo> next)
    {
        ArgumentNullException.ThrowIfNull(when);
        ArgumentNullException.ThrowIfNull(next);
        lock (_gate)
        {
            if (!when(_cell.Current))
            {
                return false;
            }

            PublishCore(next(_cell.Current));
            return true;
        }
    }

    /// <summary>Status shows <paramref name="action"/> as the last one asked of the process, from now on.</summary>
    public void NoteAction(ProcessAction action)
    {
        lock (_gate)
        {
            _lastAction = action;
            if (_cell.Current is { } current)
            {
                PublishCore(current);
            }
        }
    }

    /// <summary>The claim on the process that holds at <paramref name="now"/> (a lapsed one is gone), or null.</summary>
    public ProcessClaim? ClaimAt(DateTimeOffset now)
    {
        lock (_gate)
        {
            return _claim is { } claim && claim.HoldsAt(now) ? claim : null;
        }
    }

    /// <summary>Status shows <paramref name="claim"/> (null: none) from now on; returns the view published with it, if the process has one.</summary>
    public ProcessInfo? SetClaim(ProcessClaim? claim)
    {
        lock (_gate)
        {
            _claim = claim;
            _claimLapse?.Dispose();
            // The lapse is published like any other change: readers that ask only what changed (changed_since, the
            // gateway's answers serialized once per view) would otherwise show the claim until something else changed.
            _claimLapse = claim is null ? null : _time.CreateTimer(
                static state =>
                {
                    var (projector, lapsed) = ((StatusProjector, ProcessClaim))state!;
                    projector.Lapse(lapsed);
                },
                (this, claim),
                TimeSpan.FromTicks(Math.Max(0, (claim.Until - _time.GetUtcNow()).Ticks)),
                Timeout.InfiniteTimeSpan);
            return _cell.Current is { } current ? PublishCore(current) : null;
        }
    }

    private void Lapse(ProcessClaim claim)
    {
        lock (_gate)
        {
            if (!ReferenceEquals(_claim, claim))
            {
                return; // released or replaced meanwhile
            }

            _claim = null;
            _claimLapse?.Dispose();
            _claimLapse = null;
            if (_cell.Current is { } current)
            {
                PublishCore(current);
            }
        }
    }

    private ProcessInfo PublishCore(ProcessInfo info)
    {
        var analyzer = _output.Analyzer;
        var urls = analyzer.Urls;

        // A claim that lapsed is left out of what is published; readers compare its end with their own now as well.
        var claim = _claim is { } held && held.HoldsAt(_time.GetUtcNow()) ? held : null;
        var found = (ErrorCount: analyzer.RunErrorCount, Urls: urls.Count == 0 ? null : urls.Select(u => u.Url).ToArray(), Action: _lastAction, Claim: claim);

        // One copy: what the output analysis found and the table's node and version go in together.
        return _table.Publish(info.Name, (info, found, _table.Node), static (s, version) => s.info with
        {
            Node = s.Node,
            ErrorCount = s.found.ErrorCount,
            Urls = s.found.Urls,
            LastAction = s.found.Action,
            Claim = s.found.Claim,
            Version = version,
        }) ?? info;
    }

    private void OnLineStored()
    {
        if (Interlocked.Exchange(ref _lastLineScheduled, 1) == 0)
        {
            _ = PublishLastLineLaterAsync();
        }
    }

    private async Task PublishLastLineLaterAsync()
    {
        await Task.Delay(_lastLineInterval, _time).ConfigureAwait(false);
        Volatile.Write(ref _lastLineScheduled, 0);
        lock (_gate)
        {
            var current = _cell.Current;
            var newest = _output.Log.LastSequence;
            var analyzer = _output.Analyzer;
            var foundMore = current is not null && (current.ErrorCount != analyzer.RunErrorCount || (current.Urls?.Length ?? 0) != analyzer.Urls.Count);
            if (current is not null && newest >= _output.RunFirstSequence && (newest != _shownSequence || foundMore) &&
                _output.LastLineOfRun() is { } line)
            {
                _shownSequence = newest;

                // A state change (e.g. the stop) may have shown this line already: publishing it again would only
                // move the version, and send every gateway a change that changes nothing.
                if (line != current.LastLine || foundMore)
                {
                    PublishCore(current with { LastLine = line });
                }
            }
        }
    }
}
