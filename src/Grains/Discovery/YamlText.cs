using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Brummer.Grains.Discovery;

/// <summary>
/// Loads a YAML file for discovery. Every way the parser can fail becomes a <see cref="ScriptDiscoveryException"/>
/// naming <c>path:line:column</c>: never an exception that escapes a reload (an edit must not take a node down).
/// </summary>
internal static class YamlText
{
    // YamlDotNet refuses a repeated key while loading, with this message and the repeated key's position.
    private const string DuplicateKeyPrefix = "Duplicate key ";

    public static YamlStream Load(string path, TextReader text)
    {
        var stream = new YamlStream();
        var parser = new Parser(text);
        try
        {
            stream.Load(parser);
            return stream;
        }
        catch (YamlException ex) when (ex.Message.StartsWith(DuplicateKeyPrefix, StringComparison.Ordinal))
        {
            var key = ex.Message[DuplicateKeyPrefix.Length..];
            throw new ScriptDiscoveryException($"{path}:{ex.Start.Line}:{ex.Start.Column}: duplicate key '{Stack.YamlSource.Shorten(key)}'; each key may appear once in a mapping.", ex);
        }
        catch (YamlException ex)
        {
            throw new ScriptDiscoveryException($"{path}:{ex.Start.Line}:{ex.Start.Column}: invalid YAML: {ex.Message}", ex);
        }
        catch (InvalidOperationException ex)
        {
            // YamlDotNet fails this way on some unterminated input (an unclosed '[' running to the end of the file)
            // instead of with a YamlException: point at the last place it understood.
            var where = parser.Current is { } last ? $"{path}:{last.End.Line}:{last.End.Column}" : path;
            throw new ScriptDiscoveryException($"{where}: invalid YAML after this point (look for an unclosed '[', '{{' or quote).", ex);
        }
    }
}
