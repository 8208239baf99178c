using System.Diagnostics.Metrics;

namespace Brummer.Telemetry;

/// <summary>Creates an instrument from its <see cref="BrummerTelemetry.InstrumentDefinition"/>, so name, unit and description come from one place.</summary>
public static class MeterExtensions
{
    public static Counter<long> CreateCounter(this Meter meter, BrummerTelemetry.InstrumentDefinition instrument)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(instrument);
        return meter.CreateCounter<long>(instrument.Name, instrument.Unit, instrument.Description);
    }

    /// <param name="buckets">Explicit bucket boundaries, in the instrument's unit.</param>
    public static Histogram<double> CreateHistogram(this Meter meter, BrummerTelemetry.InstrumentDefinition instrument, IReadOnlyList<double> buckets)
    {
        ArgumentNullException.ThrowIfNull(meter);
        ArgumentNullException.ThrowIfNull(instrument);
        return meter.CreateHistogram<double>(instrument.Name, instrument.Unit, instrument.Description, tags: null, new InstrumentAdvice<double> { HistogramBucketBoundaries = buckets });
    }
}
