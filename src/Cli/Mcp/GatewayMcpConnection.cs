using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Brummer.Cli.Mcp;

/// <summary>
/// The stdio server's one MCP session with a gateway's <c>/mcp</c>, opened on first use and opened again after it
/// failed, so a gateway started (or restarted) after <c>brummer mcp</c> is found by the next call.
/// </summary>
internal sealed class GatewayMcpConnection : IAsyncDisposable
{
    private readonly SemaphoreSlim _opening = new(1, 1);
    private readonly string? _token;
    private readonly Func<JsonRpcNotification, CancellationToken, ValueTask> _onNotification;
    private readonly ILoggerFactory? _loggerFactory;
    private readonly Func<string?> _actor;
    private McpClient? _client;

    /// <param name="onNotification">Receives the gateway's progress notifications, to pass on to the stdio client.</param>
    /// <param name="actor">Who the calls are for (the stdio client's name), for the gateway's records; read when a session opens.</param>
    public GatewayMcpConnection(Uri endpoint, string? token, Func<JsonRpcNotification, CancellationToken, ValueTask> onNotification, ILoggerFactory? loggerFactory, Func<string?>? actor = null)
    {
        Endpoint = endpoint;
        _token = token;
        _onNotification = onNotification;
        _loggerFactory = loggerFactory;
        _actor = actor ?? (() => null);
    }

    public Uri Endpoint { get; }

    /// <summary>Whether the last attempt to reach the gateway failed (so the tools a client listed may be stale).</summary>
    public bool LastAttemptFailed { get; private set; }

    /// <summary>The session, opening one if there is none; throws <see cref="GatewayUnreachableException"/> when it cannot.</summary>
    public async Task<McpClient> GetAsync(CancellationToken cancellationToken)
    {
        await _opening.WaitAsync(cancellationToken);
        try
        {
            if (_client is { } open && !open.Completion.IsCompleted)
            {
                return open;
            }

            if (_client is { } closed)
            {
                _client = null;
                await closed.DisposeAsync();
            }

            try
            {
                _client = await McpClient.CreateAsync(
                    new HttpClientTransport(
                        new HttpClientTransportOptions
                        {
                            Endpoint = Endpoint,
                            TransportMode = HttpTransportMode.StreamableHttp,
                            AdditionalHeaders = Headers(),
                        },
                        _loggerFactory),
                    new McpClientOptions
                    {
                        ClientInfo = new Implementation { Name = "brummer-mcp-stdio", Version = typeof(GatewayMcpConnection).Assembly.GetName().Version?.ToString() ?? "0.0.0" },
                        // The gateway's own protocol version; the 2.4.0 client's probe of a newer one can fall back badly
                        // against a gateway still warming up (see tests/Shared/Mcp/McpCalls.cs).
                        ProtocolVersion = "2025-11-25",
                        Handlers = new McpClientHandlers
                        {
                            NotificationHandlers = [new(NotificationMethods.ProgressNotification, _onNotification)],
                        },
                    },
                    _loggerFactory,
                    cancellationToken);
                LastAttemptFailed = false;
                return _client;
            }
            catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
            {
                LastAttemptFailed = true;
                throw new GatewayUnreachableException(Describe(ex), ex);
            }
        }
        finally
        {
            _opening.Release();
        }
    }

    /// <summary>
    /// The token, and who acts: the stdio client's name in the header the gateway names callers by when it has no token
    /// to go by (its stateless MCP keeps no clientInfo of this session's own).
    /// </summary>
    private Dictionary<string, string> Headers()
    {
        var headers = new Dictionary<string, string>();
        if (_token is { Length: > 0 } token)
        {
            headers["Authorization"] = $"Bearer {token.Trim()}";
        }

        // Header values must be printable ASCII; a name that is not keeps what it can.
        if (_actor() is { } actor && new string([.. actor.Where(c => c is >= ' ' and <= '~')]).Trim() is { Length: > 0 } printable)
        {
            headers["X-Brummer-Actor"] = printable;
        }

        return headers;
    }

    /// <summary>Forgets <paramref name="failed"/> so the next call opens a new session (the gateway may have restarted).</summary>
    public async Task DropAsync(McpClient failed)
    {
        await _opening.WaitAsync();
        try
        {
            if (ReferenceEquals(_client, failed))
            {
                _client = null;
            }
        }
        finally
        {
            _opening.Release();
        }

        await failed.DisposeAsync();
    }

    /// <summary>What the agent (and the person behind it) should read when the gateway cannot be reached.</summary>
    public string Describe(Exception ex)
    {
        var status = Find<HttpRequestException>(ex)?.StatusCode;
        if (status is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            return $"The Brummer gateway at {Endpoint} refused this server's token ({(int)status} {status}). " +
                "Start `brummer mcp` with a valid token: --token TOKEN or the BRUMMER_TOKEN environment variable " +
                "(`brummer token create NAME --role operate` makes one).";
        }

        var reason = Find<SocketException>(ex)?.Message ?? Find<HttpRequestException>(ex)?.Message ?? ex.Message;
        return $"The Brummer gateway at {Endpoint} is not reachable ({reason}). Start one with `brummer up` in your " +
            "project directory (or `brummer gateway` for a cluster), or point this server at another one with --gateway URL " +
            "or BRUMMER_GATEWAY. The next call tries again.";
    }

    private static T? Find<T>(Exception? ex)
        where T : Exception
    {
        for (; ex is not null; ex = ex.InnerException)
        {
            if (ex is T found)
            {
                return found;
            }
        }

        return null;
    }

    public async ValueTask DisposeAsync()
    {
        if (_client is { } client)
        {
            await client.DisposeAsync();
        }

        _opening.Dispose();
    }
}

/// <summary>The gateway could not be reached; the message says what to do about it.</summary>
internal sealed class GatewayUnreachableException(string message, Exception inner) : Exception(message, inner);
