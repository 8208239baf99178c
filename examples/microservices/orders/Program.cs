// The orders API, a .NET service on node "data". It needs the db and its schema, so it checks both before it serves;
// Brummer starts it only after migrate succeeded, and its /health (200 only while the db answers) is the readiness
// probe that the web front end on the other node waits for.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Orders;

var db = new LineDb(Environment.GetEnvironmentVariable("ORDERS_DB") ?? "127.0.0.1:3103");
try
{
    if (await db.ValueAsync("GET schema_version") is not { } schema)
    {
        Console.Error.WriteLine($"orders: the db at {db.Address} has no schema yet; run migrate first");
        return 1;
    }

    Console.WriteLine($"orders: db at {db.Address} has schema v{schema}");
}
catch (IOException ex)
{
    Console.Error.WriteLine($"orders: {ex.Message}");
    return 1;
}

// appsettings.json sits beside the dll; the process runs from the stack's directory.
var app = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = args, ContentRootPath = AppContext.BaseDirectory }).Build();

app.MapGet("/health", async (CancellationToken ct) =>
{
    try
    {
        return await db.CallAsync("PING", ct) == "PONG" ? Results.Text("ok") : Results.StatusCode(503);
    }
    catch (IOException ex)
    {
        return Results.Text(ex.Message, statusCode: 503);
    }
});

app.MapGet("/orders", async (CancellationToken ct) =>
{
    var items = JsonSerializer.Deserialize<string[]>(await db.ValueAsync("LRANGE orders", ct) ?? "[]") ?? [];
    return Results.Text(new JsonArray([.. items.Select(item => JsonNode.Parse(item))]).ToJsonString(), "application/json");
});

app.MapPost("/orders", async (HttpRequest request, CancellationToken ct) =>
{
    if (await NewOrder.ReadAsync(request, ct) is not { } wanted)
    {
        return Results.Text("expected {\"sku\": letters or digits, \"qty\": 1-100}\n", statusCode: 400);
    }

    var id = await db.ValueAsync("INCR order_id", ct);
    var order = new JsonObject { ["id"] = int.Parse(id!, CultureInfo.InvariantCulture), ["sku"] = wanted.Sku, ["qty"] = wanted.Qty }.ToJsonString();
    await db.CallAsync("RPUSH orders " + order, ct);
    Console.WriteLine($"orders: order {id} placed ({wanted.Qty} x {wanted.Sku})");
    return Results.Text(order, "application/json", statusCode: 201);
});

await app.StartAsync();
Console.WriteLine($"orders: listening on {string.Join(", ", app.Urls)}");
await app.WaitForShutdownAsync();
return 0;
