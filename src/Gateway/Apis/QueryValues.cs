using System.Globalization;

namespace Brummer.Gateway.Apis;

/// <summary>Query-string numbers and flags, parsed with a message naming the parameter and what it takes.</summary>
internal static class QueryValues
{
    public static int? Int(string? text, string name) =>
        string.IsNullOrEmpty(text) ? null
        : int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
        : throw Bad(name, "a whole number", text);

    public static long? Long(string? text, string name) =>
        string.IsNullOrEmpty(text) ? null
        : long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) ? value
        : throw Bad(name, "a whole number", text);

    public static double? Number(string? text, string name) =>
        string.IsNullOrEmpty(text) ? null
        : double.TryParse(text, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint, CultureInfo.InvariantCulture, out var value) ? value
        : throw Bad(name, "a number (e.g. 30 or 0.5)", text);

    public static bool Flag(string? text, string name) => text switch
    {
        null or "" or "false" or "0" => false,
        "true" or "1" => true,
        _ => throw Bad(name, "true or false", text),
    };

    private static GatewayException Bad(string name, string what, string text) =>
        new(GatewayErrorKind.BadRequest, $"'{name}' must be {what}; got {InputText.Quote(text)}.");
}
