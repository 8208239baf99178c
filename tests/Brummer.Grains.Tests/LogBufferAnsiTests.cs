using Brummer.Grains.Logs;

namespace Brummer.Grains.Tests;

/// <summary>The stripped form of a line that searches and detectors see (<see cref="LogLine.SearchText"/>).</summary>
public sealed class LogBufferAnsiTests
{
    [Theory]
    [InlineData("\u001b[31merror\u001b[39m", "error")] // SGR colour
    [InlineData("\u001b[1;38;5;196mbold 256\u001b[0m done", "bold 256 done")] // 256-colour, several params
    [InlineData("\u001b[38;2;255;0;0mtruecolor\u001b[m", "truecolor")] // 24-bit colour
    [InlineData("  \u001b[32m➜\u001b[39m  \u001b[1mLocal\u001b[22m:   \u001b[36mhttp://localhost:\u001b[1m5173\u001b[22m/\u001b[39m", "  ➜  Local:   http://localhost:5173/")] // vite
    [InlineData("\u001b[2K\u001b[1Gprogress 50%", "progress 50%")] // erase line, cursor column
    [InlineData("\u001b[?25lhidden cursor\u001b[?25h", "hidden cursor")] // private mode
    [InlineData("\u001b]0;window title\u0007text", "text")] // OSC ended by BEL
    [InlineData("\u001b]8;;http://example.com\u001b\\link\u001b]8;;\u001b\\", "link")] // OSC 8 hyperlink ended by ST
    [InlineData("\u001b(Bcharset", "charset")] // nF: character set selection
    [InlineData("a\u001b7b\u001b8c", "abc")] // save/restore cursor
    [InlineData("trailing \u001b[", "trailing ")] // unfinished CSI at the end
    [InlineData("trailing \u001b", "trailing ")] // lone ESC at the end
    [InlineData("\u001b]unterminated osc", "")] // OSC never ended: the rest is the OSC
    [InlineData("\u001b\u001b[31mx", "x")] // ESC ESC
    [InlineData("\u001b\u00e9x", "\u00e9x")] // ESC before a non-sequence character: only the ESC goes
    public void Strip_RemovesEscapeSequences_KeepsText(string raw, string expected)
    {
        Assert.Equal(expected, AnsiEscapes.Strip(raw));
        Assert.Equal(expected, new LogLine(1, DateTimeOffset.UnixEpoch, LogSource.Stdout, raw).SearchText);
    }

    [Fact]
    public void Strip_NoEscape_ReturnsTheSameInstance()
    {
        var text = "plain line with [brackets] and \u00e9";

        Assert.Same(text, AnsiEscapes.Strip(text));
    }

    [Fact]
    public void Append_ColouredLine_KeepsItRawForDisplay()
    {
        var buffer = new LogBuffer(10);
        const string Raw = "\u001b[1;31mFAIL\u001b[0m src/app.test.ts";

        var line = buffer.Append(LogSource.Stderr, Raw);

        Assert.Equal(Raw, line.Text);
        Assert.Equal("FAIL src/app.test.ts", line.SearchText);
        Assert.Equal(Raw, Assert.Single(buffer.Tail()).Text);
    }
}
