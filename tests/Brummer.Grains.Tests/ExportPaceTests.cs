using Brummer.Grains.Telemetry;
using Microsoft.Extensions.Time.Testing;

namespace Brummer.Grains.Tests;

/// <summary>The script-log exporter's pace: a second's worth at once, then the rate, and no limit at 0.</summary>
public sealed class ExportPaceTests
{
    private readonly FakeTimeProvider _time = new();

    [Fact]
    public void Pace_ABurstUpToOneSecondsWorth_GoesAtOnce_ThenRecordsWaitForTheRate()
    {
        var pace = new ExportPace(rate: 1_000, _time);

        Assert.Equal(TimeSpan.Zero, pace.WaitFor(512));
        Assert.Equal(512, pace.Allowance(512));
        pace.Spend(512);
        Assert.Equal(488, pace.Allowance(512)); // what is left of the burst
        pace.Spend(488);

        Assert.Equal(TimeSpan.FromSeconds(0.512), pace.WaitFor(512));
        _time.Advance(TimeSpan.FromSeconds(0.25));
        Assert.Equal(250, pace.Allowance(512));
        _time.Advance(TimeSpan.FromSeconds(10)); // idle: the bucket holds one second's worth, not ten
        Assert.Equal(1_000, pace.Allowance(5_000));
    }

    [Fact]
    public void Pace_AtZero_NeverWaits()
    {
        var pace = new ExportPace(rate: 0, _time);
        pace.Spend(1_000_000);

        Assert.Equal(TimeSpan.Zero, pace.WaitFor(512));
        Assert.Equal(512, pace.Allowance(512));
    }
}
