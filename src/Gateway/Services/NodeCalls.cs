using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Services;

/// <summary>
/// Calls into one node, bounded in time, with the node's refusals and failures translated once for every caller:
/// a node's <see cref="ArgumentException"/> is the caller's mistake; Orleans failures and timeouts mean the node
/// could not be reached.
/// </summary>
public sealed class NodeCalls(TimeProvider time)
{
    public async Task<T> CallAsync<T>(string node, Task<T> call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return await call.WaitAsync(timeout, time, cancellationToken);
        }
        catch (ArgumentException ex)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, ex.Message, ex);
        }
        catch (InvalidOperationException ex) when (ex is not ObjectDisposedException)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, ex.Message, ex);
        }
        catch (TimeoutException ex)
        {
            throw new GatewayException(GatewayErrorKind.Timeout, $"Node '{node}' did not answer within {timeout.TotalSeconds:0.#} s.", ex);
        }
        catch (OrleansException ex)
        {
            throw new GatewayException(GatewayErrorKind.Unavailable, $"Node '{node}' could not be reached: {ex.Message}", ex);
        }
    }
}
