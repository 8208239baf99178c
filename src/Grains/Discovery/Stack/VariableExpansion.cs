using System.Text;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>
/// docker compose's variable syntax: <c>$VAR</c>, <c>${VAR}</c>, <c>${VAR:-default}</c> (unset or empty),
/// <c>${VAR-default}</c> (unset), <c>${VAR:+other}</c> / <c>${VAR+other}</c>, <c>${VAR:?message}</c> / <c>${VAR?message}</c>
/// (required), and <c>$$</c> for a literal dollar. An unset variable expands to nothing. Defaults may nest.
/// </summary>
internal static class VariableExpansion
{
    public const string Accepted = "$VAR, ${VAR}, ${VAR:-default}, ${VAR-default}, ${VAR:+other}, ${VAR:?message}; $$ for a literal $";

    /// <returns>
    /// False with a one-line <paramref name="error"/> when the text is malformed; it quotes neither values nor defaults,
    /// which may be secrets.
    /// </returns>
    public static bool TryExpand(string text, Func<string, string?> lookup, out string result, out string? error)
    {
        ArgumentNullException.ThrowIfNull(text);
        ArgumentNullException.ThrowIfNull(lookup);
        if (!text.Contains('$', StringComparison.Ordinal))
        {
            result = text;
            error = null;
            return true;
        }

        var builder = new StringBuilder(text.Length);
        error = Expand(text, lookup, builder, depth: 0);
        result = error is null ? builder.ToString() : string.Empty;
        return error is null;
    }

    private static string? Expand(string text, Func<string, string?> lookup, StringBuilder output, int depth)
    {
        if (depth > 8)
        {
            return "defaults nest more than 8 levels deep";
        }

        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (c != '$' || i + 1 == text.Length)
            {
                output.Append(c);
                i++;
                continue;
            }

            var next = text[i + 1];
            if (next == '$')
            {
                output.Append('$');
                i += 2;
            }
            else if (next == '{')
            {
                var close = MatchingBrace(text, i + 2);
                if (close < 0)
                {
                    return $"unterminated '${{' at character {i + 1}; close it with '}}' or write '$$' for a literal '$'";
                }

                var error = Substitute(text[(i + 2)..close], i + 1, lookup, output, depth);
                if (error is not null)
                {
                    return error;
                }

                i = close + 1;
            }
            else if (IsNameStart(next))
            {
                var end = i + 2;
                while (end < text.Length && IsNamePart(text[end]))
                {
                    end++;
                }

                output.Append(lookup(text[(i + 1)..end]));
                i = end;
            }
            else
            {
                // A dollar before anything else ("$5", "a $ b") is just a dollar, as in the shell.
                output.Append('$');
                i++;
            }
        }

        return null;
    }

    /// <summary>One <c>${...}</c> at character <paramref name="at"/> (from 1): <paramref name="inner"/> is what stands between the braces.</summary>
    private static string? Substitute(string inner, int at, Func<string, string?> lookup, StringBuilder output, int depth)
    {
        var nameEnd = 0;
        while (nameEnd < inner.Length && (nameEnd == 0 ? IsNameStart(inner[0]) : IsNamePart(inner[nameEnd])))
        {
            nameEnd++;
        }

        var name = inner[..nameEnd];
        if (name.Length == 0)
        {
            return $"the '${{' at character {at} is not followed by a variable name (letters, digits, '_'); accepted: {Accepted}";
        }

        var value = lookup(name);
        if (nameEnd == inner.Length)
        {
            output.Append(value);
            return null;
        }

        var colon = inner[nameEnd] == ':';
        var operatorAt = colon ? nameEnd + 1 : nameEnd;
        if (operatorAt >= inner.Length || inner[operatorAt] is not ('-' or '+' or '?'))
        {
            return $"'${{{name}' at character {at} is followed by neither '}}' nor one of :- - :+ + :? ?; accepted: {Accepted}";
        }

        var op = inner[operatorAt];
        var word = inner[(operatorAt + 1)..];
        // With a colon an empty value counts as unset, as in the shell.
        var set = colon ? !string.IsNullOrEmpty(value) : value is not null;
        switch (op)
        {
            case '-':
                return set ? Append(output, value) : Expand(word, lookup, output, depth + 1);
            case '+':
                return set ? Expand(word, lookup, output, depth + 1) : null;
            default:
                if (set)
                {
                    return Append(output, value);
                }

                var message = new StringBuilder();
                var error = Expand(word, lookup, message, depth + 1);
                return error ?? (message.Length == 0 ? $"{name} is required but not set" : $"{name} is required: {message}");
        }
    }

    private static string? Append(StringBuilder output, string? value)
    {
        output.Append(value);
        return null;
    }

    private static int MatchingBrace(string text, int from)
    {
        var depth = 0;
        for (var i = from; i < text.Length; i++)
        {
            if (text[i] == '$' && i + 1 < text.Length && text[i + 1] is '{' or '$')
            {
                depth += text[i + 1] == '{' ? 1 : 0;
                i++;
            }
            else if (text[i] == '}')
            {
                if (depth == 0)
                {
                    return i;
                }

                depth--;
            }
        }

        return -1;
    }

    private static bool IsNameStart(char c) => char.IsAsciiLetter(c) || c == '_';

    private static bool IsNamePart(char c) => char.IsAsciiLetterOrDigit(c) || c == '_';
}
