namespace Brummer.Cluster.Tests;

/// <summary>One two-node cluster shared by the tests that leave it whole (the node-loss test builds its own).</summary>
public sealed class SharedClusterFixture : IAsyncLifetime
{
    private TwoNodeCluster? _cluster;

    public TwoNodeCluster Cluster => _cluster ?? throw new InvalidOperationException("The cluster is not deployed.");

    public async ValueTask InitializeAsync() => _cluster = await TwoNodeCluster.StartAsync();

    public async ValueTask DisposeAsync()
    {
        if (_cluster is not null)
        {
            await _cluster.DisposeAsync();
        }
    }
}

[CollectionDefinition(Name)]
public sealed class SharedClusterTests : ICollectionFixture<SharedClusterFixture>
{
    public const string Name = "two-node cluster";
}
