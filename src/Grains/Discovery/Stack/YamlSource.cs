using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>
/// One YAML file and typed reads of its nodes. Every refusal names the file, the line and column of the node at fault
/// (<c>path:line:column: where what</c>, as compilers do, so editors can jump to it) and what is accepted there.
/// </summary>
internal sealed class YamlSource(string path)
{
    public string Path { get; } = path;

    public string FileName => System.IO.Path.GetFileName(Path);

    public ScriptDiscoveryException Error(YamlNode at, string message) => Error(at.Start, message);

    public ScriptDiscoveryException Error(Mark at, string message) =>
        new($"{Path}:{at.Line}:{at.Column}: {message}");

    /// <summary>The root node of the file's only document; null for an empty file.</summary>
    public YamlNode? LoadRoot()
    {
        string text;
        try
        {
            text = File.ReadAllText(Path);
        }
        catch (IOException ex)
        {
            throw new ScriptDiscoveryException($"{Path}: cannot be read: {ex.Message}", ex);
        }

        var stream = YamlText.Load(Path, new StringReader(text));

        return stream.Documents.Count switch
        {
            0 => null,
            1 => IsNull(stream.Documents[0].RootNode) ? null : stream.Documents[0].RootNode,
            _ => throw Error(stream.Documents[1].RootNode, "a second YAML document ('---'); the file must hold one."),
        };
    }

    /// <summary>YAML's null: an empty value, <c>~</c> or <c>null</c>, unquoted.</summary>
    public static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any } scalar &&
        scalar.Value is null or "" or "~" or "null" or "Null" or "NULL";

    public YamlMappingNode Mapping(YamlNode node, string where, string expected)
    {
        return node as YamlMappingNode ?? throw Error(node, $"{where} must be {expected}; got {Describe(node)}.");
    }

    /// <summary>
    /// The keys of <paramref name="mapping"/> by name, each one of <paramref name="allowed"/> (or an alias of one, stored
    /// under the name it stands for); anything else is refused with the allowed keys and the closest of them.
    /// </summary>
    /// <param name="extensionPrefix">Keys starting with it are skipped (docker compose's <c>x-</c> keys, a home for anchors).</param>
    public Dictionary<string, YamlKeyValue> Fields(
        YamlMappingNode mapping,
        string where,
        IReadOnlyList<string> allowed,
        IReadOnlyDictionary<string, string>? aliases = null,
        string? extensionPrefix = null)
    {
        var fields = new Dictionary<string, YamlKeyValue>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            var key = Key(keyNode, where);
            if (extensionPrefix is not null && key.StartsWith(extensionPrefix, StringComparison.Ordinal))
            {
                continue;
            }

            var name = aliases is not null && aliases.TryGetValue(key, out var canonical) ? canonical : key;
            if (!allowed.Contains(name, StringComparer.Ordinal))
            {
                var hint = Closest.Hint(key, allowed.Concat(aliases?.Keys ?? []));
                throw Error(keyNode, $"unknown key '{Shorten(key)}' in {where}{hint}; allowed: {string.Join(", ", allowed)}.");
            }

            if (!fields.TryAdd(name, new YamlKeyValue(keyNode, value)))
            {
                throw Error(keyNode, $"'{key}' in {where} repeats '{name}' (an alias of the same key); give it once.");
            }
        }

        return fields;
    }

    public string Key(YamlNode keyNode, string where) =>
        keyNode is YamlScalarNode { Value: { } key }
            ? key
            : throw Error(keyNode, $"keys in {where} must be plain names; got {Describe(keyNode)}.");

    /// <summary>A scalar's text; numbers and booleans are taken as written.</summary>
    public string String(YamlNode node, string where, bool allowEmpty = false)
    {
        if (node is not YamlScalarNode scalar || (IsNull(node) && !allowEmpty))
        {
            throw Error(node, $"{where} must be a string; got {Describe(node)}.");
        }

        var value = IsNull(node) ? string.Empty : scalar.Value ?? string.Empty;
        if (!allowEmpty && value.Length == 0)
        {
            throw Error(node, $"{where} must not be empty.");
        }

        return value;
    }

    public bool Boolean(YamlNode node, string where)
    {
        var text = node is YamlScalarNode { Value: { } value } ? value : null;
        return text?.ToLowerInvariant() switch
        {
            "true" => true,
            "false" => false,
            _ => throw Error(node, $"{where} must be true or false; got {Describe(node)}."),
        };
    }

    /// <summary>A whole number from <paramref name="min"/> to <paramref name="max"/>.</summary>
    public int Integer(YamlNode node, string where, int min, int max) =>
        Integer(node, Text(node), where, min, max);

    /// <summary>A whole number written as <paramref name="text"/> (e.g. after expansion) at <paramref name="node"/>.</summary>
    public int Integer(YamlNode node, string? text, string where, int min, int max)
    {
        if (!int.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value) || value < min || value > max)
        {
            var range = max == int.MaxValue ? $"of at least {min}" : $"from {min} to {max}";
            throw Error(node, $"{where} must be a whole number {range}; got {Describe(node)}.");
        }

        return value;
    }

    /// <summary>A duration in seconds (fractions allowed): at least <paramref name="min"/>, or above it if <paramref name="exclusive"/>.</summary>
    public TimeSpan Seconds(YamlNode node, string where, double min = 0, bool exclusive = false)
    {
        const double Max = 7 * 24 * 3600;
        var text = Text(node);
        var bound = exclusive ? $"greater than {min}" : $"at least {min}";
        if (!double.TryParse(text, NumberStyles.AllowDecimalPoint | NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var seconds))
        {
            throw Error(node, $"{where} must be a number of seconds ({bound}, e.g. 10); got {Describe(node)}.");
        }

        if (seconds < min || (exclusive && seconds <= min) || seconds > Max)
        {
            throw Error(node, $"{where} must be a number of seconds {bound} and at most {Max}; got {Describe(node)}.");
        }

        return TimeSpan.FromSeconds(seconds);
    }

    /// <summary>How a node reads in an error: a scalar quoted (shortened), otherwise its kind.</summary>
    public static string Describe(YamlNode node) => node switch
    {
        _ when IsNull(node) => "nothing",
        YamlScalarNode scalar => $"'{Shorten(scalar.Value ?? string.Empty)}'",
        YamlSequenceNode => "a list",
        YamlMappingNode => "a mapping",
        _ => "an alias",
    };

    /// <summary>Input quoted back is cut short and its control characters escaped, so one bad value cannot flood an error.</summary>
    public static string Shorten(string text)
    {
        const int Limit = 64;
        var cut = text.Length > Limit ? text[..Limit] + "…" : text;
        return cut.Any(char.IsControl)
            ? string.Concat(cut.Select(c => char.IsControl(c) ? $"\\u{(int)c:x4}" : c.ToString()))
            : cut;
    }

    private static string? Text(YamlNode node) => node is YamlScalarNode scalar && !IsNull(node) ? scalar.Value : null;
}

/// <summary>A mapping entry with both nodes, so errors can point at the key or at the value.</summary>
internal readonly record struct YamlKeyValue(YamlNode Key, YamlNode Value);
