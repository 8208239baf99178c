using System.Collections.Frozen;
using System.ComponentModel;
using System.Reflection;
using System.Text.Json;
using ModelContextProtocol;
using ModelContextProtocol.Server;

namespace Brummer.Gateway.Tools;

/// <summary>
/// Checks a tool call's arguments against the tool method's own parameters before the SDK binds them, so that a
/// missing, unknown or wrong-typed argument is a tool error naming the argument and what it takes — the SDK alone
/// answers "An error occurred invoking" with no detail, and agents correct themselves from the message.
/// </summary>
internal sealed class ToolArguments
{
    private readonly FrozenDictionary<string, Parameter[]> _tools;

    public ToolArguments(IEnumerable<Type> toolTypes)
    {
        _tools = ToolMethods.Of(toolTypes).ToFrozenDictionary(
            m => m.Name,
            m => m.Method.GetParameters().Where(p => !BoundBySdk(p.ParameterType)).Select(Parameter.Of).ToArray(),
            StringComparer.Ordinal);
    }

    /// <summary>Parameters the SDK fills from the request itself: never arguments a client sends.</summary>
    private static bool BoundBySdk(Type type) =>
        type == typeof(CancellationToken) || type == typeof(IProgress<ProgressNotificationValue>);

    /// <summary>What is wrong with <paramref name="arguments"/> for <paramref name="tool"/>, or null if nothing is.</summary>
    public string? Problem(string tool, IDictionary<string, JsonElement>? arguments)
    {
        if (!_tools.TryGetValue(tool, out var parameters))
        {
            return null; // The SDK answers unknown tools itself.
        }

        if (arguments is not null)
        {
            foreach (var (name, value) in arguments)
            {
                if (Array.Find(parameters, p => p.Name == name) is not { } parameter)
                {
                    var known = parameters.Length == 0 ? "it takes none" : $"it takes {string.Join(", ", parameters.Select(p => p.Name))}";
                    return $"Unknown argument {InputText.Quote(name)} for {tool}: {known}.";
                }

                if (parameter.Mismatch(value) is { } expected)
                {
                    return $"'{name}' of {tool} must be {expected}{parameter.About}; got {Describe(value)}.";
                }
            }
        }

        foreach (var parameter in parameters.Where(p => p.Required))
        {
            if (arguments is null || !arguments.TryGetValue(parameter.Name, out var value) || value.ValueKind is JsonValueKind.Null or JsonValueKind.Undefined ||
                (value.ValueKind == JsonValueKind.String && string.IsNullOrWhiteSpace(value.GetString())))
            {
                return $"Missing required argument '{parameter.Name}'{parameter.About} for {tool}.";
            }
        }

        return null;
    }

    private static string Describe(JsonElement value) => value.ValueKind switch
    {
        JsonValueKind.String => $"the string {InputText.Quote(value.GetString())}",
        JsonValueKind.Number => $"the number {InputText.Quote(value.GetRawText())}",
        JsonValueKind.True or JsonValueKind.False => $"the boolean {value.GetRawText()}",
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        _ => "null",
    };

    private sealed record Parameter(string Name, Type Type, bool Required, bool TakesNull, string About)
    {
        public static Parameter Of(ParameterInfo info)
        {
            var description = info.GetCustomAttribute<DescriptionAttribute>()?.Description;
            var underlying = Nullable.GetUnderlyingType(info.ParameterType);
            return new Parameter(
                info.Name!,
                underlying ?? info.ParameterType,
                !info.HasDefaultValue,
                underlying is not null || !info.ParameterType.IsValueType,
                description is null ? string.Empty : $" ({description.TrimEnd('.')})");
        }

        /// <summary>What the parameter takes, if <paramref name="value"/> is not that; null when it fits.</summary>
        public string? Mismatch(JsonElement value)
        {
            if (value.ValueKind == JsonValueKind.Null && TakesNull)
            {
                return null;
            }

            return Type switch
            {
                _ when Type == typeof(string) => value.ValueKind == JsonValueKind.String ? null : "a string",
                _ when Type == typeof(bool) => value.ValueKind is JsonValueKind.True or JsonValueKind.False ? null : "true or false",
                _ when Type == typeof(int) => value.ValueKind == JsonValueKind.Number && value.TryGetInt32(out _) ? null : $"a whole number from {int.MinValue} to {int.MaxValue}",
                _ when Type == typeof(long) => value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out _) ? null : $"a whole number from {long.MinValue} to {long.MaxValue}",
                _ when Type == typeof(double) => value.ValueKind == JsonValueKind.Number ? null : "a number (e.g. 30 or 0.5)",
                _ => null,
            };
        }
    }
}
