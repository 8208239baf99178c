namespace Brummer.Cluster.Tests;

/// <summary>A clock the test moves by hand (all <c>ClusterStatusCache</c> reads of time go through <see cref="GetUtcNow"/>).</summary>
internal sealed class ManualTimeProvider(DateTimeOffset start) : TimeProvider
{
    private DateTimeOffset _now = start;

    public override DateTimeOffset GetUtcNow() => _now;

    public DateTimeOffset Advance(TimeSpan by) => _now += by;
}
