// Closed-loop load on one gateway route, for profiling the gateway (dotnet-counters, dotnet-trace) while it runs:
// `mcp` POSTs the JSON-RPC tools/call scripts_status a light MCP client sends; `api` GETs /api/processes.
// Usage: dotnet run benchmarks/StatusCost/poll.cs -- URL mcp|api [loops=16] [seconds=15]
using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text;

var gateway = new Uri(args[0]);
var mode = args[1];
var loops = args.Length > 2 ? int.Parse(args[2]) : 16;
var seconds = args.Length > 3 ? double.Parse(args[3]) : 15;
var call = Encoding.UTF8.GetBytes("""{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"scripts_status","arguments":{}}}""");
using var http = new HttpClient(new SocketsHttpHandler { MaxConnectionsPerServer = int.MaxValue });
var until = Stopwatch.GetTimestamp() + (long)(seconds * Stopwatch.Frequency);
var calls = 0L;
var bytes = 0L;
var failures = 0L;

await Task.WhenAll(Enumerable.Range(0, loops).Select(_ => Task.Run(async () =>
{
    while (Stopwatch.GetTimestamp() < until)
    {
        using var request = mode == "mcp"
            ? new HttpRequestMessage(HttpMethod.Post, new Uri(gateway, "/mcp")) { Content = new ByteArrayContent(call) }
            : new HttpRequestMessage(HttpMethod.Get, new Uri(gateway, "/api/processes"));
        if (request.Content is { } content)
        {
            content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
            request.Headers.TryAddWithoutValidation("Accept", "application/json, text/event-stream");
        }

        using var response = await http.SendAsync(request);
        var body = await response.Content.ReadAsByteArrayAsync();
        Interlocked.Add(ref bytes, body.Length);
        Interlocked.Increment(ref response.IsSuccessStatusCode ? ref calls : ref failures);
    }
})));

Console.WriteLine($"{mode}: {calls} calls in {seconds} s = {calls / seconds:0} calls/s, {bytes / Math.Max(1, calls)} B per answer, {failures} failures");
