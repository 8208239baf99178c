using Brummer.Gateway.Nodes;
using Brummer.Gateway.Security;
using Brummer.Gateway.Status;
using Brummer.Gateway.Traffic;
using Brummer.Grains.Abstractions;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Services;

/// <summary>
/// Calls into one node — through that node's own connection, bounded in time — with the node's refusals and
/// failures translated once for every caller: a node's <see cref="ArgumentException"/> is the caller's mistake,
/// Orleans failures mean the node could not be reached, and running out of time is a timeout.
/// </summary>
public sealed class NodeCalls(NodeClients nodes, RequestArrival arrival, IOptions<GatewayOptions> options, TimeProvider time, ControlActors actors)
{
    /// <summary>Kept back from a control call's time for the act itself and the answer's way back.</summary>
    private static readonly TimeSpan ActMargin = TimeSpan.FromSeconds(1);

    public IGrainFactory Grains(string node) => nodes.For(node);

    /// <summary>
    /// Names the caller in the Orleans request context, so the node records who acted (history, audit), and whether
    /// they act over others' claims (force).
    /// </summary>
    public void NameTheActor()
    {
        Orleans.Runtime.RequestContext.Set(ControlActor.Key, actors.Current());
        if (actors.Forced)
        {
            Orleans.Runtime.RequestContext.Set(ControlActor.ForceKey, true);
        }
        else
        {
            Orleans.Runtime.RequestContext.Remove(ControlActor.ForceKey);
        }
    }

    /// <summary>
    /// A run, stop or restart with its deadline: the node must begin acting before the caller's time is up (less a
    /// margin for the act and the answer), converted to the node's clock, or not at all. A stop or restart is then
    /// waited for as long as the node says a stop can take. Whatever the answer, a request that failed or timed
    /// out never takes effect afterwards.
    /// </summary>
    public async Task<T> ControlAsync<T>(ProcessTarget target, Func<IProcessGrain, ControlDeadline, CancellationToken, Task<T>> call, bool stops, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        var node = target.Node;
        var now = time.GetUtcNow();
        var answerBy = arrival.Current + options.Value.ControlTimeout;
        var startBy = answerBy - Min(ActMargin, options.Value.ControlTimeout / 4);
        if (startBy <= now)
        {
            throw new GatewayException(GatewayErrorKind.Timeout, $"The request waited at the gateway until no time was left to send it to node '{node.Name}'; nothing was done.");
        }

        var deadline = new ControlDeadline(node.Clock.ToNodeTime(startBy));
        var wait = answerBy - now + (stops ? node.StopAllowance : TimeSpan.Zero);
        var grain = nodes.For(node.Name).GetGrain<IProcessGrain>(new ProcessKey(node.Name, target.Script).ToString());
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        giveUp.CancelAfter(wait);
        NameTheActor();
        try
        {
            // The token travels with the call: when the gateway gives up, Orleans drops the call here and tells the
            // node, which drops it too if it had not started.
            return await CallAsync(node.Name, call(grain, deadline, giveUp.Token), Timeout.InfiniteTimeSpan, giveUp.Token);
        }
        catch (OperationCanceledException) when (giveUp.IsCancellationRequested && !cancellationToken.IsCancellationRequested)
        {
            throw new GatewayException(
                GatewayErrorKind.Timeout,
                $"Node '{node.Name}' did not answer within {wait.TotalSeconds:0.#} s; the request expires there and will not be carried out later.");
        }
    }

    public async Task<T> CallAsync<T>(string node, Task<T> call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(call);
        try
        {
            return timeout == Timeout.InfiniteTimeSpan ? await call.WaitAsync(cancellationToken) : await call.WaitAsync(timeout, time, cancellationToken);
        }
        catch (ProcessClaimedException ex)
        {
            throw new GatewayException(GatewayErrorKind.Conflict, ex.Message, ex);
        }
        catch (ArgumentException ex)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, ex.Message, ex);
        }
        catch (InvalidOperationException ex) when (ex is not ObjectDisposedException)
        {
            throw new GatewayException(GatewayErrorKind.BadRequest, ex.Message, ex);
        }
        catch (TimeoutException ex) when (call.IsFaulted)
        {
            // From the node: the request reached it too late and was refused (or Orleans gave up on the call).
            throw new GatewayException(GatewayErrorKind.Timeout, ex.Message, ex);
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

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
