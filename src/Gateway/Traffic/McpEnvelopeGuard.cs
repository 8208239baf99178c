using System.Collections.Frozen;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Brummer.Gateway.Security;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;

namespace Brummer.Gateway.Traffic;

/// <summary>
/// In front of the MCP SDK's endpoint: reads the POSTed message once (at most <see cref="BrowserGuard.MaxBodyBytes"/>),
/// answers a malformed one with a 4xx JSON-RPC error — the SDK answers some with a 500 (no Content-Type, or
/// <c>"params": 1</c> on initialize) — and puts the request in its <see cref="RequestLane"/> by the tool it calls.
/// The body is handed on as read, so the SDK parses exactly what was checked. An unfiltered <c>scripts_status</c> call
/// is marked with an <see cref="McpStatusPoll"/> feature, for the responder that answers it from the cached bytes.
/// </summary>
internal sealed class McpEnvelopeGuard(RequestDelegate next, ILogger<McpEnvelopeGuard> logger)
{
    private static readonly JsonSerializerOptions Json = McpJsonUtilities.DefaultOptions;

    /// <summary>The params type of each method whose params the SDK would bind, to check them before it does.</summary>
    private static readonly FrozenDictionary<string, Type> ParamsTypes = new Dictionary<string, Type>
    {
        [RequestMethods.Initialize] = typeof(InitializeRequestParams),
        [RequestMethods.ToolsCall] = typeof(CallToolRequestParams),
        [RequestMethods.ToolsList] = typeof(ListToolsRequestParams),
        [RequestMethods.Ping] = typeof(PingRequestParams),
        [RequestMethods.ResourcesList] = typeof(ListResourcesRequestParams),
        [RequestMethods.ResourcesRead] = typeof(ReadResourceRequestParams),
        [RequestMethods.ResourcesTemplatesList] = typeof(ListResourceTemplatesRequestParams),
        [RequestMethods.ResourcesSubscribe] = typeof(SubscribeRequestParams),
        [RequestMethods.ResourcesUnsubscribe] = typeof(UnsubscribeRequestParams),
        [RequestMethods.PromptsList] = typeof(ListPromptsRequestParams),
        [RequestMethods.PromptsGet] = typeof(GetPromptRequestParams),
        [RequestMethods.CompletionComplete] = typeof(CompleteRequestParams),
    }.ToFrozenDictionary(StringComparer.Ordinal);

    public async Task InvokeAsync(HttpContext context)
    {
        if (!HttpMethods.IsPost(context.Request.Method))
        {
            context.SetLane(RequestLane.Reads);
            await next(context);
            return;
        }

        if (!BrowserGuard.IsJson(context.Request.ContentType))
        {
            await RefuseAsync(context, StatusCodes.Status415UnsupportedMediaType, -32600, default, "MCP messages are POSTed as Content-Type: application/json.");
            return;
        }

        byte[] body;
        try
        {
            using var buffer = new MemoryStream();
            await context.Request.Body.CopyToAsync(buffer, context.RequestAborted);
            body = buffer.ToArray();
        }
        catch (BadHttpRequestException ex) when (ex.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            await RefuseAsync(context, StatusCodes.Status413PayloadTooLarge, -32600, default, $"The message is larger than {BrowserGuard.MaxBodyBytes:N0} bytes.");
            return;
        }

        var (lane, problem, poll, initialize) = Inspect(body);
        if (problem is not null)
        {
            await RefuseAsync(context, StatusCodes.Status400BadRequest, problem.Value.Code, problem.Value.Id, problem.Value.Message);
            return;
        }

        context.SetLane(lane);
        if (poll is not null)
        {
            context.Features.Set(poll);
        }

        if (initialize is not null)
        {
            context.Features.Set(initialize);
        }

        context.Request.Body = new MemoryStream(body, writable: false);
        context.Request.ContentLength = body.Length;
        await next(context);
    }

    private readonly record struct Problem(int Code, RequestId Id, string Message);

    private static (RequestLane Lane, Problem? Problem, McpStatusPoll? Poll, McpInitialize? Initialize) Inspect(byte[] body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body);
        }
        catch (JsonException ex)
        {
            return (default, new Problem(-32700, default, $"The body is not JSON: {ex.Message}"), null, null);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
            {
                return (default, new Problem(-32600, default, "The body must be one JSON-RPC message (a JSON object); batches are not supported."), null, null);
            }

            var id = default(RequestId);
            if (root.TryGetProperty("id", out var idValue))
            {
                if (idValue.ValueKind == JsonValueKind.String)
                {
                    id = new RequestId(idValue.GetString()!);
                }
                else if (idValue.ValueKind == JsonValueKind.Number && idValue.TryGetInt64(out var number))
                {
                    id = new RequestId(number);
                }
                else
                {
                    return (default, new Problem(-32600, default, "'id' must be a string or a whole number."), null, null);
                }
            }

            if (!root.TryGetProperty("jsonrpc", out var version) || version.ValueKind != JsonValueKind.String || version.GetString() != "2.0")
            {
                return (default, new Problem(-32600, id, "'jsonrpc' must be \"2.0\"."), null, null);
            }

            if (!root.TryGetProperty("method", out var methodValue))
            {
                // A response to something the server asked (sampling, elicitation): it has an id and a result or an error.
                return root.TryGetProperty("id", out _) && (root.TryGetProperty("result", out _) || root.TryGetProperty("error", out _))
                    ? (RequestLane.Reads, null, null, null)
                    : (default, new Problem(-32600, id, "A message needs a 'method' (a request or notification) or an 'id' with a 'result' or 'error' (a response)."), null, null);
            }

            if (methodValue.ValueKind != JsonValueKind.String || methodValue.GetString() is not { Length: > 0 } method)
            {
                return (default, new Problem(-32600, id, "'method' must be a non-empty string."), null, null);
            }

            var hasParams = root.TryGetProperty("params", out var parameters) && parameters.ValueKind != JsonValueKind.Null;
            if (hasParams && parameters.ValueKind != JsonValueKind.Object)
            {
                return (default, new Problem(-32602, id, $"'params' of {InputText.Quote(method)} must be an object."), null, null);
            }

            if (hasParams && ParamsTypes.TryGetValue(method, out var type))
            {
                try
                {
                    _ = parameters.Deserialize((JsonTypeInfo)Json.GetTypeInfo(type));
                }
                catch (Exception ex) when (ex is JsonException or FormatException or ArgumentException or InvalidOperationException)
                {
                    return (default, new Problem(-32602, id, $"Invalid params for {method}: {Clip(ex.Message)}"), null, null);
                }
            }

            if (method == RequestMethods.ToolsCall)
            {
                if (!hasParams || !parameters.TryGetProperty("name", out var tool) || tool.ValueKind != JsonValueKind.String)
                {
                    return (default, new Problem(-32602, id, "tools/call needs params.name: the tool to call (tools/list has them)."), null, null);
                }

                if (parameters.TryGetProperty("arguments", out var arguments) && arguments.ValueKind is not (JsonValueKind.Object or JsonValueKind.Null))
                {
                    return (default, new Problem(-32602, id, "params.arguments of tools/call must be an object of named arguments."), null, null);
                }

                var name = tool.GetString();
                var unfiltered = arguments.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null
                    || (arguments.ValueKind == JsonValueKind.Object && !arguments.EnumerateObject().MoveNext());
                var poll = name == McpStatusPoll.Tool && unfiltered && idValue.ValueKind != JsonValueKind.Undefined ? new McpStatusPoll(idValue.GetRawText()) : null;
                return (RequestLanes.OfTool(name), null, poll, null);
            }

            // Reading a log resource asks a node for its tail, like logs_tail.
            var lane = method == RequestMethods.ResourcesRead ? RequestLane.Logs : RequestLane.Reads;
            var initialize = method != RequestMethods.Initialize ? null
                : new McpInitialize(hasParams && parameters.TryGetProperty("clientInfo", out var info) && info.ValueKind == JsonValueKind.Object &&
                    info.TryGetProperty("name", out var client) && client.ValueKind == JsonValueKind.String ? client.GetString() : null);
            return (lane, null, null, initialize);
        }
    }

    /// <summary>A parser's message can quote the input; keep it short.</summary>
    private static string Clip(string message) => message.Length <= 200 ? message : string.Concat(message.AsSpan(0, 200), "…");

    private Task RefuseAsync(HttpContext context, int status, int code, RequestId id, string message)
    {
        logger.LogInformation("MCP request refused ({Status}): {Reason}", status, message);
        return WriteErrorAsync(context, status, code, id, message);
    }

    /// <summary>A JSON-RPC error as the whole answer to an HTTP request.</summary>
    public static async Task WriteErrorAsync(HttpContext context, int status, int code, RequestId id, string message)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        await context.Response.WriteAsJsonAsync(
            new JsonRpcError { Id = id, Error = new JsonRpcErrorDetail { Code = code, Message = message } },
            (JsonTypeInfo<JsonRpcError>)Json.GetTypeInfo(typeof(JsonRpcError)),
            contentType: "application/json",
            cancellationToken: context.RequestAborted);
    }
}
