using System.Collections.Concurrent;
using Brummer.Grains.Placement;
using Orleans.GrainDirectory;
using Orleans.Runtime;

namespace Brummer.Silo.Placement;

/// <summary>
/// The grain directory of node-pinned grains (<see cref="NodePinnedPlacement.DirectoryName"/>): each node registers the
/// activations it hosts, and only those, in memory. A lookup of a grain another node hosts finds nothing here, so
/// Orleans places the call by the grain's key (<see cref="NodePinnedPlacementDirector"/>: the node it names), and that
/// node delivers it to the activation it holds or creates one. No node's grains ever wait on another node's directory.
/// </summary>
public sealed class NodeLocalGrainDirectory(ILocalSiloDetails silo) : IGrainDirectory
{
    private readonly ConcurrentDictionary<GrainId, GrainAddress> _registrations = new();

    public Task<GrainAddress?> Register(GrainAddress address) => Register(address, previousAddress: null);

    public Task<GrainAddress?> Register(GrainAddress address, GrainAddress? previousAddress)
    {
        ArgumentNullException.ThrowIfNull(address);
        while (true)
        {
            if (_registrations.TryGetValue(address.GrainId, out var existing))
            {
                // One activation per grain: a second one loses to the first, unless it replaces the one it names.
                if (previousAddress is null || !existing.Equals(previousAddress))
                {
                    return Task.FromResult<GrainAddress?>(existing);
                }

                if (_registrations.TryUpdate(address.GrainId, address, existing))
                {
                    return Task.FromResult<GrainAddress?>(address);
                }
            }
            else if (_registrations.TryAdd(address.GrainId, address))
            {
                return Task.FromResult<GrainAddress?>(address);
            }
        }
    }

    public Task<GrainAddress?> Lookup(GrainId grainId) =>
        Task.FromResult(_registrations.TryGetValue(grainId, out var address) ? address : null);

    public Task Unregister(GrainAddress address)
    {
        ArgumentNullException.ThrowIfNull(address);
        _registrations.TryRemove(KeyValuePair.Create(address.GrainId, address));
        return Task.CompletedTask;
    }

    public Task UnregisterSilos(List<SiloAddress> siloAddresses)
    {
        ArgumentNullException.ThrowIfNull(siloAddresses);
        foreach (var (grain, address) in _registrations)
        {
            if (address.SiloAddress is { } where && siloAddresses.Contains(where))
            {
                _registrations.TryRemove(KeyValuePair.Create(grain, address));
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>Whether this silo holds a registration of the grain, of an activation of its own.</summary>
    public bool Holds(GrainId grainId) => _registrations.TryGetValue(grainId, out var address) && silo.SiloAddress.Equals(address.SiloAddress);
}
