namespace Brummer.Grains.Abstractions;

/// <summary>A process grain's key: the node it is pinned to and the script it runs.</summary>
public readonly record struct ProcessKey(string Node, string Script)
{
    private const char Separator = '/';

    public override string ToString() => string.Concat(Node, "/", Script);

    public static ProcessKey Parse(string key)
    {
        ArgumentNullException.ThrowIfNull(key);
        var at = key.IndexOf(Separator, StringComparison.Ordinal);
        if (at <= 0 || at == key.Length - 1)
        {
            throw new FormatException($"A process key is 'node/script'; got '{key}'.");
        }

        return new ProcessKey(key[..at], key[(at + 1)..]);
    }
}
