namespace Brummer.Tests;

/// <summary>Waits for a condition the system signals only by changing state, failing loudly on timeout.</summary>
public static class Eventually
{
    // Generous: the suite must pass on a 2-core machine that other work keeps busy; a passing wait returns early anyway.
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(60);

    public static async Task<T> UntilAsync<T>(Func<Task<T>> probe, Func<T, bool> done, string what, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? DefaultTimeout);
        T last;
        while (true)
        {
            last = await probe();
            if (done(last))
            {
                return last;
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException($"Timed out after {timeout ?? DefaultTimeout} waiting for {what}. Last seen: {last}");
            }

            await Task.Delay(25);
        }
    }

    public static Task UntilAsync(Func<bool> condition, string what, TimeSpan? timeout = null) =>
        UntilAsync(() => Task.FromResult(condition()), ok => ok, what, timeout);

    public static async Task<string> FileAsync(string path, TimeSpan? timeout = null)
    {
        await UntilAsync(() => System.IO.File.Exists(path), $"file {path}", timeout);
        return path;
    }
}
