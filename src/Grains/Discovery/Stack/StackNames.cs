using YamlDotNet.RepresentationModel;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>The rule for process and node names, the same as for package.json scripts.</summary>
internal static class StackNames
{
    // Names travel in grain keys (node/script) and URLs; a slash or control character would break both.
    public static bool IsValid(string name) =>
        name.Length > 0 && !name.Contains('/', StringComparison.Ordinal) && !name.Any(char.IsControl);

    public static string Check(YamlSource source, YamlNode at, string name, string kind) =>
        IsValid(name)
            ? name
            : throw source.Error(at, $"{kind} name '{YamlSource.Shorten(name)}' cannot be empty or contain '/' or control characters.");
}
