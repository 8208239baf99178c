namespace Brummer.Client;

/// <summary>
/// Runs one client verb against a gateway: prints what it returns, or one <c>brummer: …</c> line for whatever went
/// wrong (a refusal, an unreachable gateway), with exit code 1 either way.
/// </summary>
public static class GatewayCall
{
    public static async Task<int> RunAsync(HttpClient http, Func<HttpClient, Task<string>> action)
    {
        ArgumentNullException.ThrowIfNull(http);
        ArgumentNullException.ThrowIfNull(action);
        var gateway = http.BaseAddress;
        try
        {
            var output = await action(http).ConfigureAwait(false);
            if (output.Length > 0)
            {
                Console.WriteLine(output);
            }

            return 0;
        }
        catch (GatewayCallException ex)
        {
            Console.Error.WriteLine($"brummer: {ex.Message}");
            return 1;
        }
        catch (HttpRequestException ex) when (ex.StatusCode is null)
        {
            Console.Error.WriteLine($"brummer: cannot reach the gateway at {gateway} ({ex.Message}). Is `brummer up` running? Use --gateway to point elsewhere.");
            return 1;
        }
        catch (HttpRequestException ex)
        {
            Console.Error.WriteLine($"brummer: the gateway at {gateway} answered {(int?)ex.StatusCode}: {ex.Message}");
            return 1;
        }
    }
}
