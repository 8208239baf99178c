using Microsoft.AspNetCore.Http;

namespace Brummer.Gateway.Traffic;

/// <summary>
/// When the current request reached the gateway, before it waited in its lane: a control call's time limit counts
/// from then, so waiting in a queue uses up the caller's time instead of adding to it. Callers outside an HTTP
/// request (tests, the gateway's own work) start counting when they ask.
/// </summary>
public sealed class RequestArrival(IHttpContextAccessor accessor, TimeProvider time)
{
    private static readonly object Key = new();

    public static void Stamp(HttpContext context, DateTimeOffset at)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Items[Key] = at;
    }

    public DateTimeOffset Current =>
        accessor.HttpContext?.Items.TryGetValue(Key, out var at) == true && at is DateTimeOffset arrived ? arrived : time.GetUtcNow();
}
