using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Mvc;

namespace Brummer.Gateway.Apis;

/// <summary>
/// A problem response (RFC 7807) a route can give, and why: endpoint metadata that ApiExplorer lists as a response and
/// the OpenAPI document describes with <see cref="Description"/>. Several refusals with one status are one response
/// whose description says each cause.
/// </summary>
internal sealed class Refusal(int status, string why) : IProducesResponseTypeMetadata
{
    private static readonly string[] ProblemJson = ["application/problem+json"];

    public int StatusCode { get; } = status;

    public string Description { get; } = why;

    public Type Type => typeof(ProblemDetails);

    public IEnumerable<string> ContentTypes => ProblemJson;
}

/// <summary>
/// Every refusal the JSON API gives, each written once: what <see cref="Problems"/> turns a <see cref="GatewayException"/>
/// into (400/404/409/503/504), and what the pipeline refuses before a route runs (401/403/413/415, and 503 busy).
/// </summary>
internal static class Refusals
{
    // Before any route runs: authentication, the browser checks, the lanes.
    public static readonly Refusal NoToken = new(401, "This gateway requires a token (it was started with a token file) and the request carried none, or one that is unknown, revoked or mistyped. Send 'Authorization: Bearer TOKEN'.");
    public static readonly Refusal FromWebPage = new(403, "A web page of another origin (not the gateway's own, nor one allowed with --allow-origin) sent it, or it names a host that is not loopback while the gateway listens on loopback only (DNS rebinding).");
    public static readonly Refusal NeedsOperate = new(403, "The token's role is read; running, stopping, restarting and reloading need operate (or admin).");
    public static readonly Refusal BodyTooLarge = new(413, "The body is over 1 MiB. These routes take no body.");
    public static readonly Refusal BodyNotJson = new(415, "A body that is not application/json (what a cross-site form would send). These routes take no body.");
    public static readonly Refusal Busy = new(503, "The gateway is busy with other requests of the same kind; this one was not carried out (Retry-After: 1).");

    // From the service layer: the caller's input, and what it names.
    public static readonly Refusal BadArgument = new(400, "An argument is missing, malformed or out of range; the detail names it and what it takes.");
    public static readonly Refusal NodeRequired = new(400, "No node is named, several are up and the gateway has no default node: name one.");
    public static readonly Refusal NodeRefused = new(400, "The node refused the request as given; the detail says why.");
    public static readonly Refusal NeverRan = new(400, "stop: the script has never run on that node, so there is nothing to stop.");
    public static readonly Refusal UnknownNode = new(404, "No node of that name; the detail lists the nodes.");
    public static readonly Refusal UnknownScript = new(404, "No such script (on the node named, or on any); the detail lists the scripts.");
    public static readonly Refusal UnknownAction = new(404, "The action is not run, stop or restart.");
    public static readonly Refusal Claimed = new(409, "Someone else claimed the process (scripts_claim) and the claim holds: the detail says who, until when and why. Pass force=true to act anyway (recorded in the audit).");
    public static readonly Refusal NoNodeYet = new(503, "No node has reported to this gateway yet.");

    // Calls to one node.
    public static readonly Refusal NodeUnavailable = new(503, "The node is lost, has left or is unresponsive, or could not be reached; the request was not sent or not carried out.");
    public static readonly Refusal NodeTimedOut = new(504, "The node did not answer in time; the request expires there and is not carried out later.");

    // Waits.
    public static readonly Refusal WaitCannotHappen = new(409, "What is waited for cannot happen any more without another request: the process failed or ended otherwise; the detail says how.");
    public static readonly Refusal WaitNodeGone = new(503, "The node is lost or has left, so the state cannot come until it rejoins; or the gateway is stopping.");
    public static readonly Refusal WaitTimedOut = new(504, "The state did not come within the timeout; the detail says what the process is doing and what it waits for.");
    public static readonly Refusal RunWaitCannotHappen = new(409, "With wait: the process failed or ended before it was running or ready (it was started all the same).");
    public static readonly Refusal RunWaitTimedOut = new(504, "With wait: the process was not running or ready within the timeout (it was started all the same).");
}
