using System.Net;
using Microsoft.AspNetCore.Connections;
using Microsoft.Extensions.Logging;
using Orleans.Connections.Security;

namespace Brummer.Clustering.Tls;

/// <summary>Raised when the cluster's members consistently refuse this one; the message says why and what to change.</summary>
public sealed class ClusterRefusedException(string message) : Exception(message);

/// <summary>
/// Watches this member's outbound connections (node to node, gateway to node) for the one failure that retrying cannot
/// fix: the peer refusing this member's transport security. A node answers every Orleans connection with a preamble,
/// so a connection the peer ends before sending one byte of it was refused: the peer requires TLS, or does not speak
/// it, or one side's certificate is not of the other's CA. Refusals with no connection answered in between make a
/// verdict, which a starting node or gateway reports at once instead of retrying until its timeout (or forever).
/// </summary>
public sealed class PeerRefusals(ClusterTls? tls, ILogger<PeerRefusals> logger) : IDisposable
{
    /// <summary>
    /// Two in a row when inferred from a peer that ended the connection: a single one could be a peer closing its
    /// connections as it shuts down. A certain refusal (a certificate we refused, bytes that are not TLS) decides at once.
    /// </summary>
    public const int RefusalsForVerdict = 2;

    // The outbound connection whose handshake runs on this flow, for the certificate callback, which all connections share.
    private static readonly AsyncLocal<Attempt?> Current = new();

    // The content types of the first record a TLS peer sends (RFC 8446 5.1).
    private const byte TlsAlertRecord = 0x15;
    private const byte TlsHandshakeRecord = 0x16;

    private readonly CancellationTokenSource _verdict = new();
    private int _consecutive;
    private string? _reason;

    /// <summary>Why the peers refuse this member, once they consistently do; null until then.</summary>
    public string? Reason => Volatile.Read(ref _reason);

    /// <summary>Cancelled when <see cref="Reason"/> is set.</summary>
    public CancellationToken Refused => _verdict.Token;

    public void Dispose() => _verdict.Dispose();

    /// <summary>Called by the certificate check of a TLS handshake: on an outbound connection, we refused the peer.</summary>
    internal static void NoteUntrustedPeer(string problem)
    {
        if (Current.Value is { } attempt)
        {
            attempt.UntrustedPeer = problem;
        }
    }

    /// <summary>Watches the connections <paramref name="builder"/> makes, wrapped in client TLS when <paramref name="options"/> is given.</summary>
    internal void Watch(IConnectionBuilder builder, TlsOptions? options)
    {
        builder.Use(next => context => WatchAsync(context, next));
        if (options is not null)
        {
            builder.UseClientTls(options);
            // Runs only once the handshake succeeded: from here on the pipe carries the node's own bytes.
            builder.Use(next => context => SecuredAsync(context, next));
        }
    }

    private async Task WatchAsync(ConnectionContext context, ConnectionDelegate next)
    {
        // Without TLS the socket carries the node's own bytes: its first one is the answer.
        var attempt = new Attempt(new ObservedPipe(context.Transport, tls is null ? Answered : null));
        context.Items[typeof(Attempt)] = attempt;
        Current.Value = attempt;
        context.Transport = attempt.Raw;
        try
        {
            await next(context);
        }
        finally
        {
            context.Transport = attempt.Raw.Inner;
            Judge(context.RemoteEndPoint, attempt);
        }
    }

    private async Task SecuredAsync(ConnectionContext context, ConnectionDelegate next)
    {
        var attempt = (Attempt)context.Items[typeof(Attempt)]!;
        attempt.Secured = new ObservedPipe(context.Transport, Answered);
        context.Transport = attempt.Secured;
        try
        {
            await next(context);
        }
        finally
        {
            context.Transport = attempt.Secured.Inner;
        }
    }

    /// <summary>A peer answered (sent its first Orleans byte): refusals before it were not the cluster's verdict.</summary>
    private void Answered() => Interlocked.Exchange(ref _consecutive, 0);

    private void Judge(EndPoint? peer, Attempt attempt)
    {
        var answered = tls is null ? attempt.Raw.Received : attempt.Secured?.Received == true;
        if (answered)
        {
            return;
        }

        if (Diagnose(peer?.ToString() ?? "(unknown)", attempt) is not var (why, certain))
        {
            return;
        }

        logger.LogWarning("Refused by a cluster member: {Reason}", why);
        if (Interlocked.Increment(ref _consecutive) >= (certain ? 1 : RefusalsForVerdict) && Interlocked.CompareExchange(ref _reason, why, null) is null)
        {
            _verdict.Cancel();
        }
    }

    /// <summary>Why the peer refused the connection, and whether that is certain or inferred from its silence; null if it did not.</summary>
    private (string Why, bool Certain)? Diagnose(string peer, Attempt attempt)
    {
        if (attempt.UntrustedPeer is { } problem)
        {
            return ($"the node at {peer} has a certificate {problem}, so we refuse it: --tls-ca must be the cluster's CA.", true);
        }

        var notTls = $"the node at {peer} does not speak TLS: the cluster runs without it. Drop --tls-cert, --tls-key and --tls-ca, or turn TLS on for every node.";
        if (tls is not null && attempt.Raw.FirstByte is { } first && first is not (TlsHandshakeRecord or TlsAlertRecord))
        {
            return (notTls, true); // a plain node speaks first on silo connections: its preamble is no TLS record
        }

        if (!attempt.Raw.PeerEnded && attempt.Secured?.PeerEnded != true)
        {
            return null; // this side gave up (a timeout, a shutdown): nothing the peer said
        }

        if (tls is null)
        {
            return ($"the node at {peer} closed the connection without answering: the cluster requires TLS. Pass --tls-cert, --tls-key " +
                "and --tls-ca with a certificate of its CA (`brummer cert create` makes them).", false);
        }

        var ours = $"our certificate '{tls.Name}' (of CA '{tls.AuthorityName}')";
        return attempt switch
        {
            { Secured: not null } => ($"the node at {peer} refused {ours}: the cluster trusts another CA. Use a certificate made with the cluster's CA.", false),
            { Raw.Received: false } => (notTls, false),
            _ => ($"the TLS handshake with the node at {peer} failed: it refused {ours}, or our TLS versions.", false),
        };
    }

    private sealed class Attempt(ObservedPipe raw)
    {
        /// <summary>The socket's pipe: the node's Orleans bytes when TLS is off, TLS records when it is on.</summary>
        public ObservedPipe Raw { get; } = raw;

        /// <summary>The decrypted pipe, once the TLS handshake succeeded.</summary>
        public ObservedPipe? Secured { get; set; }

        /// <summary>Why we refused the peer's certificate, if we did.</summary>
        public string? UntrustedPeer { get; set; }
    }
}
