namespace Brummer.Grains.Telemetry;

/// <summary>
/// A token bucket for the export loop: up to <c>rate</c> records a second, with a burst of one second's worth, so a
/// script that prints a few thousand lines at once still has them all sent, and a flood is sent at the rate. One
/// loop uses it; not thread-safe.
/// </summary>
internal sealed class ExportPace(int rate, TimeProvider time)
{
    private double _tokens = rate;
    private long _refilled = time.GetTimestamp();

    private bool Unlimited => rate <= 0;

    /// <summary>How long until <paramref name="records"/> (at most a second's worth) may be sent; zero when they may now.</summary>
    public TimeSpan WaitFor(int records)
    {
        if (Unlimited)
        {
            return TimeSpan.Zero;
        }

        Refill();
        var missing = Math.Min(records, rate) - _tokens;
        return missing <= 0 ? TimeSpan.Zero : TimeSpan.FromSeconds(missing / rate);
    }

    /// <summary>Records that may be sent now, at most <paramref name="records"/>.</summary>
    public int Allowance(int records)
    {
        if (Unlimited)
        {
            return records;
        }

        Refill();
        return (int)Math.Min(records, Math.Floor(_tokens));
    }

    public void Spend(int records)
    {
        if (!Unlimited)
        {
            _tokens -= records;
        }
    }

    private void Refill()
    {
        var now = time.GetTimestamp();
        _tokens = Math.Min(rate, _tokens + (time.GetElapsedTime(_refilled, now).TotalSeconds * rate));
        _refilled = now;
    }
}
