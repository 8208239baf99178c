using System.Text;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>One <c>KEY=VALUE</c> of a .env file, with its line for errors.</summary>
/// <param name="Expand">False for a single-quoted value, which is taken literally (as docker compose does).</param>
internal sealed record DotEnvEntry(string Key, string Value, bool Expand, int Line);

/// <summary>
/// Reads a .env file: <c>KEY=VALUE</c> lines, an optional <c>export </c> prefix, <c>#</c> comments and blank lines;
/// values unquoted (an inline comment starts at " #"), single-quoted (literal) or double-quoted (escapes
/// <c>\n \r \t \" \\ \$</c>; may span lines). Errors name the file and line, never a value: .env files hold secrets.
/// </summary>
internal static class DotEnvFile
{
    public static IReadOnlyList<DotEnvEntry> Read(string path)
    {
        string[] lines;
        try
        {
            lines = File.ReadAllText(path).ReplaceLineEndings("\n").Split('\n');
        }
        catch (IOException ex)
        {
            throw new ScriptDiscoveryException($"{path}: cannot be read: {ex.Message}", ex);
        }

        var entries = new List<DotEnvEntry>();
        for (var index = 0; index < lines.Length; index++)
        {
            var lineNumber = index + 1;
            var line = lines[index].TrimStart();
            if (line.Length == 0 || line[0] == '#')
            {
                continue;
            }

            if (line.StartsWith("export", StringComparison.Ordinal) && line.Length > 6 && char.IsWhiteSpace(line[6]))
            {
                line = line[6..].TrimStart();
            }

            var equals = line.IndexOf('=', StringComparison.Ordinal);
            if (equals < 0)
            {
                throw Error(path, lineNumber, "expected KEY=VALUE; this line has no '='.");
            }

            var key = line[..equals].Trim();
            if (!IsKey(key))
            {
                throw Error(path, lineNumber, $"'{YamlSource.Shorten(key)}' is not a variable name: letters, digits, '_', '.', '-', not starting with a digit.");
            }

            var rest = line[(equals + 1)..].TrimStart(' ', '\t');
            if (rest.Length > 0 && rest[0] is '"' or '\'')
            {
                var (value, lastLine) = Quoted(path, lines, index, lines[index].Length - rest.Length, key);
                entries.Add(new DotEnvEntry(key, value, Expand: rest[0] == '"', lineNumber));
                index = lastLine;
            }
            else
            {
                entries.Add(new DotEnvEntry(key, Unquoted(rest), Expand: true, lineNumber));
            }
        }

        return entries;
    }

    /// <summary>A quoted value opening at <paramref name="column"/> of line <paramref name="first"/>; returns it and the line it closes on.</summary>
    private static (string Value, int LastLine) Quoted(string path, string[] lines, int first, int column, string key)
    {
        var quote = lines[first][column];
        var value = new StringBuilder();
        var index = first;
        var i = column + 1;
        while (true)
        {
            var line = lines[index];
            for (; i < line.Length; i++)
            {
                var c = line[i];
                if (c == quote)
                {
                    var after = line[(i + 1)..].Trim();
                    if (after.Length > 0 && after[0] != '#')
                    {
                        throw Error(path, index + 1, $"unexpected text after the closing quote of {key}; put a comment after ' #'.");
                    }

                    return (value.ToString(), index);
                }

                if (quote == '"' && c == '\\' && i + 1 < line.Length)
                {
                    i++;
                    value.Append(line[i] switch
                    {
                        'n' => "\n",
                        'r' => "\r",
                        't' => "\t",
                        '"' => "\"",
                        '\\' => "\\",
                        // Kept as $$ so that expansion, which runs next, yields the literal dollar.
                        '$' => "$$",
                        var other => $"\\{other}",
                    });
                    continue;
                }

                value.Append(c);
            }

            if (++index == lines.Length)
            {
                var kind = quote == '"' ? "double" : "single";
                throw Error(path, first + 1, $"the {kind} quote that opens the value of {key} is never closed.");
            }

            value.Append('\n');
            i = 0;
        }
    }

    private static string Unquoted(string rest)
    {
        for (var i = 0; i < rest.Length; i++)
        {
            if (rest[i] == '#' && (i == 0 || char.IsWhiteSpace(rest[i - 1])))
            {
                return rest[..i].TrimEnd();
            }
        }

        return rest.TrimEnd();
    }

    private static bool IsKey(string key) =>
        key.Length > 0 &&
        !char.IsAsciiDigit(key[0]) &&
        key.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.' or '-');

    private static ScriptDiscoveryException Error(string path, int line, string message) =>
        new($"{path}:{line}: {message}");
}
