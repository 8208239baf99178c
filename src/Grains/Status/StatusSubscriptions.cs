using System.Collections.Concurrent;
using Brummer.Grains.Abstractions;

namespace Brummer.Grains.Status;

/// <summary>
/// The gateways observing this node. Subscriptions expire unless renewed, because an observer whose gateway
/// died never says goodbye; a push connection's lasts as long as the connection (<see cref="Attach"/>).
/// </summary>
public sealed class StatusSubscriptions(TimeProvider time)
{
    public static TimeSpan Expiry => StatusSubscription.Expiry;

    private readonly ConcurrentDictionary<IStatusObserver, DateTimeOffset> _observers = new();

    public int Count => _observers.Count;

    public void Subscribe(IStatusObserver observer) => _observers[observer] = time.GetUtcNow();

    /// <summary>Subscribes an observer that never expires: the caller unsubscribes it when it closes.</summary>
    public void Attach(IStatusObserver observer) => _observers[observer] = DateTimeOffset.MaxValue;

    public void Unsubscribe(IStatusObserver observer) => _observers.TryRemove(observer, out _);

    /// <summary>The live observers, dropping the expired ones.</summary>
    public List<IStatusObserver> Live()
    {
        var cutoff = time.GetUtcNow() - Expiry;
        var live = new List<IStatusObserver>(_observers.Count);
        foreach (var (observer, seen) in _observers)
        {
            if (seen < cutoff)
            {
                _observers.TryRemove(observer, out _);
            }
            else
            {
                live.Add(observer);
            }
        }

        return live;
    }
}
