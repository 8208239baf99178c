using System.Buffers;

namespace Brummer.Grains.Logs;

/// <summary>
/// Removes ANSI/VT escape sequences (colours, cursor moves, titles, hyperlinks) from a line, so searches and detectors
/// see the text a terminal would show. Never throws; an unfinished sequence at the end of a line is dropped.
/// </summary>
public static class AnsiEscapes
{
    private const char Escape = '\u001b';
    private const char Bell = '\u0007';
    private const int StackChars = 256;

    /// <summary>True when the text holds an escape character (so <see cref="Strip"/> would change it).</summary>
    public static bool HasEscapes(ReadOnlySpan<char> text) => text.Contains(Escape);

    /// <summary>The text without escape sequences; the same instance when it has none.</summary>
    public static string Strip(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var first = text.IndexOf(Escape, StringComparison.Ordinal);
        if (first < 0)
        {
            return text;
        }

        char[]? rented = null;
        var result = text.Length <= StackChars ? stackalloc char[StackChars] : (rented = ArrayPool<char>.Shared.Rent(text.Length));
        try
        {
            text.AsSpan(0, first).CopyTo(result);
            var length = first;
            var i = first;
            while (i < text.Length)
            {
                if (text[i] != Escape)
                {
                    var run = text.AsSpan(i).IndexOf(Escape);
                    var end = run < 0 ? text.Length : i + run;
                    text.AsSpan(i, end - i).CopyTo(result[length..]);
                    length += end - i;
                    i = end;
                    continue;
                }

                i = SkipSequence(text, i);
            }

            return new string(result[..length]);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<char>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Given the index of an ESC, the index just past its sequence (ECMA-48 shapes).</summary>
    private static int SkipSequence(string text, int escape)
    {
        var i = escape + 1;
        if (i >= text.Length)
        {
            return i;
        }

        var kind = text[i++];
        switch (kind)
        {
            case '[':
                // CSI: parameter bytes 0x30–0x3F, intermediate bytes 0x20–0x2F, one final byte 0x40–0x7E.
                while (i < text.Length && text[i] is >= '\u0020' and <= '\u003f')
                {
                    i++;
                }

                return i < text.Length && text[i] is >= '\u0040' and <= '\u007e' ? i + 1 : i;
            case ']' or 'P' or 'X' or '^' or '_':
                // OSC, DCS, SOS, PM, APC: a string ended by BEL or ST (ESC \); hyperlinks and window titles are OSC.
                while (i < text.Length)
                {
                    if (text[i] == Bell)
                    {
                        return i + 1;
                    }

                    if (text[i] == Escape)
                    {
                        return i + 1 < text.Length && text[i + 1] == '\\' ? i + 2 : i;
                    }

                    i++;
                }

                return i;
            case >= '\u0020' and <= '\u002f':
                // nF (e.g. ESC ( B, character set selection): more intermediates, then one final byte.
                while (i < text.Length && text[i] is >= '\u0020' and <= '\u002f')
                {
                    i++;
                }

                return i < text.Length ? i + 1 : i;
            case >= '\u0030' and <= '\u007e':
                // Fp, Fe, Fs: two characters in all (ESC 7, ESC M, ...).
                return i;
            default:
                // ESC followed by something that does not form a sequence: drop the ESC only.
                return i - 1;
        }
    }
}
