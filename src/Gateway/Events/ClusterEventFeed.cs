using System.Collections.Immutable;
using System.Globalization;
using System.Threading.Channels;
using Brummer.Gateway.Contracts;
using Brummer.Gateway.Services;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.Gateway.Events;

/// <summary>
/// The cluster's changes as a stream of events, for /api/events and MCP notifications. Woken by the status cache
/// whenever it publishes a view (pushed deltas, snapshots, control results, losses: nothing is polled), it compares
/// the view with the last one it saw and publishes one event per process, node or error count that changed. The last
/// <see cref="Retained"/> events are kept so a client that reconnects resumes where it stopped; each subscriber has a
/// bounded buffer, and one that falls behind by more is dropped (it reconnects and resumes), so no client ever slows
/// the feed or the others.
/// </summary>
internal sealed class ClusterEventFeed(ClusterStatusCache cache, TimeProvider time, ILogger<ClusterEventFeed> logger) : BackgroundService
{
    /// <summary>Events kept for resuming.</summary>
    public const int Retained = 2_048;

    /// <summary>Events a subscriber may have waiting beyond its first batch before it is dropped.</summary>
    public const int SubscriberBuffer = 1_024;

    private readonly Lock _gate = new();
    private readonly Queue<ClusterEvent> _recent = new();
    private readonly Dictionary<string, string> _nodeFacts = new(StringComparer.Ordinal);
    private ImmutableArray<EventSubscription> _subscribers = [];
    private ClusterView _seen = ClusterView.Empty;
    private long _sequence;

    /// <summary>This run of the gateway: cursors of another run cannot be resumed from.</summary>
    public string Run { get; } = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.NextInt64()))[..8];

    public EventCursor Current
    {
        get
        {
            lock (_gate)
            {
                return new EventCursor(Run, _sequence);
            }
        }
    }

    /// <summary>
    /// Starts a subscription after <paramref name="after"/> (a cursor from an earlier event's id): the events since,
    /// if they are still kept; otherwise a <c>reset</c> and the whole current picture, then what follows.
    /// </summary>
    public EventSubscription Subscribe(string? after)
    {
        lock (_gate)
        {
            List<ClusterEvent> first;
            if (!EventCursor.TryParse(after, out var cursor) || cursor.Run != Run || cursor.Sequence > _sequence)
            {
                first = Snapshot(after is null ? "new" : "unknown");
            }
            else if (_recent.Count > 0 ? cursor.Sequence < _recent.Peek().Sequence - 1 : cursor.Sequence < _sequence)
            {
                first = Snapshot("too_old");
            }
            else
            {
                first = [.. _recent.Where(e => e.Sequence > cursor.Sequence)];
            }

            var subscription = new EventSubscription(this, first.Count + SubscriberBuffer);
            foreach (var item in first)
            {
                subscription.TryDeliver(item);
            }

            _subscribers = _subscribers.Add(subscription);
            return subscription;
        }
    }

    internal void Unsubscribe(EventSubscription subscription)
    {
        lock (_gate)
        {
            _subscribers = _subscribers.Remove(subscription);
        }
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        while (!stoppingToken.IsCancellationRequested)
        {
            // Taken before reading the view, so a change between the read and the wait is not missed.
            var changed = cache.WhenChanged();
            Publish(cache.Current);
            try
            {
                await changed.WaitAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                break;
            }
        }

        lock (_gate)
        {
            foreach (var subscription in _subscribers)
            {
                subscription.End(dropped: false);
            }

            _subscribers = [];
        }
    }

    private void Publish(ClusterView view)
    {
        var now = time.GetUtcNow();
        lock (_gate)
        {
            if (ReferenceEquals(view, _seen))
            {
                return;
            }

            var changes = Changes(_seen, view, now);
            _seen = view;
            foreach (var (type, data) in changes)
            {
                var item = new ClusterEvent(new EventCursor(Run, ++_sequence), type, data);
                _recent.Enqueue(item);
                if (_recent.Count > Retained)
                {
                    _recent.Dequeue();
                }

                foreach (var subscription in _subscribers)
                {
                    if (!subscription.TryDeliver(item))
                    {
                        logger.LogInformation("An event subscriber fell {Count} events behind and was dropped; it can reconnect and resume", SubscriberBuffer);
                        subscription.End(dropped: true);
                        _subscribers = _subscribers.Remove(subscription);
                    }
                }
            }
        }
    }

    /// <summary>What changed from one view to the next, nodes first (a client learns of a node before its processes).</summary>
    private List<(string Type, object Data)> Changes(ClusterView before, ClusterView after, DateTimeOffset now)
    {
        var changes = new List<(string, object)>();
        foreach (var node in after.Nodes)
        {
            var facts = Facts(node, now);
            if (!_nodeFacts.TryGetValue(node.Name, out var known) || known != facts)
            {
                _nodeFacts[node.Name] = facts;
                changes.Add(("node", node.ToDto(now)));
            }
        }

        foreach (var node in after.Nodes)
        {
            var old = before.Find(node.Name);
            if (ReferenceEquals(old, node))
            {
                continue;
            }

            var previous = old?.Processes.ToDictionary(p => p.Name, StringComparer.Ordinal) ?? [];
            foreach (var process in node.Processes)
            {
                previous.Remove(process.Name, out var was);
                if (was is not null && was.Equals(process))
                {
                    continue;
                }

                changes.Add(("process", process.ToDto()));
                if (process.ErrorCount > (was?.ErrorCount ?? 0))
                {
                    changes.Add(("error", new ErrorEventDto(process.Node, process.Name, process.ErrorCount, process.ErrorCount - (was?.ErrorCount ?? 0), process.LastLine)));
                }
            }

            foreach (var gone in previous.Values)
            {
                changes.Add(("process_removed", new ProcessRemovedDto(gone.Node, gone.Name)));
            }
        }

        return changes;
    }

    /// <summary>What a node event reports, minus what changes with time alone (its age): a new event when this differs.</summary>
    private static string Facts(NodeView node, DateTimeOffset now) => string.Join(
        '|',
        node.StatusAt(now),
        node.Address,
        node.DefinitionsError,
        string.Join(',', node.Counts.OrderBy(c => c.Key, StringComparer.Ordinal).Select(c => string.Create(CultureInfo.InvariantCulture, $"{c.Key}={c.Value}"))));

    private List<ClusterEvent> Snapshot(string reason)
    {
        var cursor = new EventCursor(Run, _sequence);
        var now = time.GetUtcNow();
        var events = new List<ClusterEvent> { new(cursor, "reset", new EventsResetDto(reason)) };
        events.AddRange(_seen.Nodes.Select(n => new ClusterEvent(cursor, "node", n.ToDto(now))));
        events.AddRange(_seen.Processes.Select(p => new ClusterEvent(cursor, "process", p.ToDto())));
        return events;
    }
}

/// <summary>One subscriber's events, in a buffer of its own; ended when it falls too far behind or the gateway stops.</summary>
internal sealed class EventSubscription : IDisposable
{
    private readonly ClusterEventFeed _feed;
    private readonly Channel<ClusterEvent> _events;

    public EventSubscription(ClusterEventFeed feed, int capacity)
    {
        _feed = feed;
        _events = Channel.CreateBounded<ClusterEvent>(new BoundedChannelOptions(capacity) { SingleReader = true, SingleWriter = true, FullMode = BoundedChannelFullMode.Wait });
    }

    /// <summary>Ends once the subscription is (after the events already in the buffer).</summary>
    public ChannelReader<ClusterEvent> Events => _events.Reader;

    /// <summary>True when it was ended because it fell behind.</summary>
    public bool Dropped { get; private set; }

    internal bool TryDeliver(ClusterEvent item) => _events.Writer.TryWrite(item);

    internal void End(bool dropped)
    {
        Dropped = dropped;
        _events.Writer.TryComplete();
    }

    public void Dispose()
    {
        _feed.Unsubscribe(this);
        _events.Writer.TryComplete();
    }
}
