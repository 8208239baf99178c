using System.Collections.Immutable;
using System.Text.Json;

namespace Brummer.Grains.Discovery;

/// <summary>What discovery needs from one package.json (the root's or a workspace package's), read once.</summary>
/// <param name="Name">Its <c>name</c> field, or null.</param>
/// <param name="Scripts">name → command, in file order.</param>
/// <param name="Environment">
/// The <c>npm_package_*</c> variables npm derives from it (npm RFC 183: name, version, config, engines, bin).
/// </param>
internal sealed record PackageManifest(
    string Directory,
    string Path,
    string? Name,
    ImmutableArray<KeyValuePair<string, string>> Scripts,
    ImmutableSortedDictionary<string, string> Environment)
{
    public string? Script(string name) => Scripts.FirstOrDefault(s => s.Key == name).Value;

    public static PackageManifest Read(string path, JsonElement package)
    {
        if (package.ValueKind != JsonValueKind.Object)
        {
            throw new ScriptDiscoveryException($"{path}: the top level must be a JSON object.");
        }

        var scripts = ImmutableArray.CreateBuilder<KeyValuePair<string, string>>();
        if (package.TryGetProperty("scripts", out var scriptsElement))
        {
            if (scriptsElement.ValueKind != JsonValueKind.Object)
            {
                throw new ScriptDiscoveryException($"{path}: \"scripts\" must be an object of name → command.");
            }

            foreach (var script in scriptsElement.EnumerateObject())
            {
                if (script.Value.ValueKind != JsonValueKind.String)
                {
                    throw new ScriptDiscoveryException($"{path}: script \"{script.Name}\" must be a string command.");
                }

                scripts.Add(new(script.Name, script.Value.GetString()!));
            }
        }

        var name = package.TryGetProperty("name", out var n) && n.ValueKind == JsonValueKind.String && n.GetString()!.Trim().Length > 0 ? n.GetString() : null;
        var environment = ImmutableSortedDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        foreach (var field in (string[])["name", "version", "config", "engines", "bin"])
        {
            if (package.TryGetProperty(field, out var value))
            {
                Flatten(environment, $"npm_package_{field}", value);
            }
        }

        return new PackageManifest(System.IO.Path.GetDirectoryName(path)!, path, name, scripts.ToImmutable(), environment.ToImmutable());
    }

    // As npm's package-envs.js: objects nest with '_', arrays by index, null and false become "".
    private static void Flatten(ImmutableSortedDictionary<string, string>.Builder into, string key, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                foreach (var property in value.EnumerateObject())
                {
                    Flatten(into, $"{key}_{property.Name}", property.Value);
                }

                break;
            case JsonValueKind.Array:
                var index = 0;
                foreach (var item in value.EnumerateArray())
                {
                    Flatten(into, $"{key}_{index++}", item);
                }

                break;
            case JsonValueKind.Null or JsonValueKind.False:
                into[key] = string.Empty;
                break;
            case JsonValueKind.String:
                into[key] = value.GetString()!;
                break;
            default:
                into[key] = value.GetRawText();
                break;
        }
    }
}
