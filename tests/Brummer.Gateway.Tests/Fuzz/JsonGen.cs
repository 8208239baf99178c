using System.Collections.Immutable;
using System.Text.Json.Nodes;
using CsCheck;

namespace Brummer.Gateway.Tests.Fuzz;

/// <summary>
/// Generators of what callers might send: any JSON value, and strings with control characters, huge lengths,
/// unicode and the handful of valid values that reach deeper code (real script and node names, durations).
/// </summary>
internal static class JsonGen
{
    public static readonly string[] Known = ["quick", "noisy", GatewayUnderTest.Node, "stdout", "stderr", "10m", "2026-11-28T09:30:00Z", "run", "stop", "restart"];

    /// <summary>Strings worth sending as any argument.</summary>
    public static readonly Gen<string> String = Gen.Frequency(
        (4, Gen.String[0, 24]),
        (2, Gen.OneOf(Known)),
        (1, Gen.OneOf("", " ", "\t", "null", "0", "-1", "true", "[]", "{}", "..", "../..", "a/b", "%2F", "*", "(", "^(\\w+\\s?)+$", "\\", "'", "\"")),
        (1, Gen.String[Gen.Char['\0', '\u001f'], 1, 16]),
        (1, Gen.String[Gen.Char['\u0080', '\ud7ff'], 1, 16]),
        (1, Gen.String[Gen.Char['a', 'z'], 65, 2_000]),
        (1, Gen.Int[5_000, 300_000].Select(n => new string('x', n))));

    public static readonly Gen<JsonNode?> Number = Gen.Frequency(
        (3, Gen.Int.Select(n => (JsonNode?)JsonValue.Create(n))),
        (1, Gen.Long.Select(n => (JsonNode?)JsonValue.Create(n))),
        (1, Gen.Double[-1e300, 1e300].Select(d => (JsonNode?)JsonValue.Create(d))),
        (2, Gen.OneOf("0", "-1", "1", "1000", "1001", "2147483648", "-2147483649", "9223372036854775807", "-9223372036854775808",
            "123456789012345678901234567890", "1e400", "0.5", "-0.0", "1E3").Select(text => JsonNode.Parse(text))));

    public static readonly Gen<JsonNode?> Scalar = Gen.Frequency(
        (1, Gen.Const<JsonNode?>(() => null)),
        (1, Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b))),
        (2, Number),
        (4, String.Select(s => (JsonNode?)JsonValue.Create(s))));

    public static Gen<JsonNode?> Value(int depth) => depth <= 0
        ? Scalar
        : Gen.Frequency(
            (6, Scalar),
            (1, Value(depth - 1).Array[0, 4].Select(items => (JsonNode?)new JsonArray([.. items]))),
            (1, Object(depth - 1).Select(o => (JsonNode?)o)));

    public static Gen<JsonObject> Object(int depth) =>
        Gen.Select(String, Value(depth)).Array[0, 4].Select(pairs =>
        {
            var json = new JsonObject();
            foreach (var (key, value) in pairs)
            {
                json[key] = value;
            }

            return json;
        });

    /// <summary>A value of the JSON type an argument takes most of the time, anything else otherwise.</summary>
    public static Gen<JsonNode?> Typed(string? type) => Gen.Frequency(
        (3, type switch
        {
            "integer" => Number,
            "boolean" => Gen.Bool.Select(b => (JsonNode?)JsonValue.Create(b)),
            _ => String.Select(s => (JsonNode?)JsonValue.Create(s)),
        }),
        (1, Value(2)));

    /// <summary>Arguments for a tool: each known one present or not, typed mostly right; sometimes an unknown one.</summary>
    public static Gen<JsonObject> Arguments(IReadOnlyList<(string Name, string? Type)> parameters)
    {
        var present = Gen.Const(ImmutableList<(string Name, JsonNode? Value)>.Empty);
        foreach (var (name, type) in parameters)
        {
            var argument = Gen.Frequency(
                (1, Gen.Const<(string, JsonNode?)?>(() => null)),
                (3, Typed(type).Select(v => ((string, JsonNode?)?)(name, v))));
            present = Gen.Select(present, argument).Select(t => t.Item2 is { } a ? t.Item1.Add(a) : t.Item1);
        }

        var unknown = Gen.Frequency(
            (9, Gen.Const<(string, JsonNode?)?>(() => null)),
            (1, Gen.Select(String, Value(1)).Select(e => ((string, JsonNode?)?)e)));
        return Gen.Select(present, unknown).Select(t =>
        {
            var json = new JsonObject();
            foreach (var (name, value) in t.Item1)
            {
                json[name] = value;
            }

            if (t.Item2 is { } added && !json.ContainsKey(added.Item1))
            {
                json[added.Item1] = added.Item2;
            }

            return json;
        });
    }

    /// <summary>Every string in a JSON value (keys too), to check none comes back raw.</summary>
    public static IEnumerable<string> Strings(JsonNode? node) => node switch
    {
        JsonObject o => o.SelectMany(p => Strings(p.Value).Prepend(p.Key)),
        JsonArray a => a.SelectMany(Strings),
        JsonValue v when v.TryGetValue<string>(out var s) => [s],
        _ => [],
    };
}
