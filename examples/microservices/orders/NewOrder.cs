using System.Text.Json;
using System.Text.Json.Nodes;

namespace Orders;

/// <summary>An order as a client asks for it: <c>{"sku": "latte", "qty": 2}</c> (qty defaults to 1).</summary>
public sealed record NewOrder(string Sku, int Qty)
{
    /// <summary>The order in the request's body; null when the body is not one (the db's line protocol allows only letters and digits in a sku).</summary>
    public static async Task<NewOrder?> ReadAsync(HttpRequest request, CancellationToken cancellationToken)
    {
        JsonNode? body;
        try
        {
            body = await JsonNode.ParseAsync(request.Body, cancellationToken: cancellationToken);
        }
        catch (JsonException)
        {
            return null;
        }

        var sku = body?["sku"] is JsonValue s && s.TryGetValue(out string? text) ? text : null;
        var qty = body?["qty"] is null ? 1 : body["qty"] is JsonValue q && q.TryGetValue(out int n) ? n : 0;
        return !string.IsNullOrEmpty(sku) && sku.All(char.IsAsciiLetterOrDigit) && qty is >= 1 and <= 100 ? new NewOrder(sku, qty) : null;
    }
}
