using System.Globalization;
using System.Text;

namespace Brummer.Gateway;

/// <summary>
/// How a caller's input appears in an answer or a log line: quoted, cut to a readable length, control characters
/// escaped. A 1 MB name or an ANSI sequence sent as a name must not come back (or land in a log) as it was sent.
/// </summary>
public static class InputText
{
    /// <summary>Characters of an input shown before it is cut.</summary>
    public const int Shown = 64;

    public static string Quote(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        var shown = Math.Min(value.Length, Shown);
        var text = new StringBuilder(shown + 24).Append('\'');
        for (var i = 0; i < shown; i++)
        {
            var c = value[i];
            if (char.IsHighSurrogate(c) && i + 1 < shown && char.IsLowSurrogate(value[i + 1]))
            {
                text.Append(c).Append(value[++i]);
                continue;
            }

            switch (c)
            {
                case '\n':
                    text.Append("\\n");
                    break;
                case '\r':
                    text.Append("\\r");
                    break;
                case '\t':
                    text.Append("\\t");
                    break;
                case '\'':
                    text.Append("\\'");
                    break;
                case '\\':
                    text.Append("\\\\");
                    break;
                default:
                    if (char.IsControl(c) || char.IsSurrogate(c) || c is '\u2028' or '\u2029' or '\u200e' or '\u200f' or (>= '\u202a' and <= '\u202e') or (>= '\u2066' and <= '\u2069'))
                    {
                        // Control, bidi-override and lone-surrogate characters could rewrite what a terminal shows.
                        text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:x4}");
                    }
                    else
                    {
                        text.Append(c);
                    }

                    break;
            }
        }

        text.Append('\'');
        if (value.Length > shown)
        {
            text.Append(CultureInfo.InvariantCulture, $"… ({value.Length:N0} characters)");
        }

        return text.ToString();
    }
}
