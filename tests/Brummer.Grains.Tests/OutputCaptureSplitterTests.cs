using System.Text;
using Brummer.Grains.Logs;

namespace Brummer.Grains.Tests;

/// <summary>How <see cref="OutputLineSplitter"/> and <see cref="OutputCapture"/> cut bytes into lines, chunk by chunk.</summary>
public sealed class OutputCaptureSplitterTests
{
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(1000)]
    public void Push_LfAndCrLfInAnyChunking_GiveTheSameLines(int chunkSize)
    {
        var input = "one\ntwo\r\n\r\nthree\rstill three\n\nlast"u8.ToArray();

        var lines = Split(input, chunkSize, maxLineBytes: 100);

        Assert.Equal(["one", "two", "", "three\rstill three", "", "last"], lines);
    }

    [Fact]
    public void Complete_AfterAFinalLineBreak_AddsNoEmptyLine()
    {
        Assert.Equal(["a", "b"], Split("a\nb\n"u8.ToArray(), 1000, 100));
        Assert.Empty(Split([], 1000, 100));
    }

    [Theory]
    [InlineData(1)]
    [InlineData(7)]
    [InlineData(4096)]
    public void Push_OverlongLine_KeepsItsStartAndCountsTheRest(int chunkSize)
    {
        var input = Encoding.ASCII.GetBytes(new string('a', 100) + "\nshort\n" + new string('b', 30) + "\r\n" + new string('c', 25));

        var lines = Split(input, chunkSize, maxLineBytes: 20);

        Assert.Equal(
            [
                new string('a', 20) + "… [truncated 80 bytes]",
                "short",
                new string('b', 20) + "… [truncated 10 bytes]", // the \r of \r\n is not counted as dropped
                new string('c', 20) + "… [truncated 5 bytes]",
            ],
            lines);
    }

    [Fact]
    public void Push_LineOfExactlyTheCap_IsNotTruncated_EvenWithCrLf()
    {
        var lines = Split(Encoding.ASCII.GetBytes(new string('a', 20) + "\r\n" + new string('b', 20) + "\n"), 5, maxLineBytes: 20);

        Assert.Equal([new string('a', 20), new string('b', 20)], lines);
    }

    [Fact]
    public void Push_TruncationInsideAMultiByteCharacter_CutsBeforeIt()
    {
        // "€" is 3 bytes (E2 82 AC): a cap of 5 bytes falls inside the second one.
        var lines = Split(Encoding.UTF8.GetBytes("€€€€\n"), 1000, maxLineBytes: 5);

        Assert.Equal(["€… [truncated 9 bytes]"], lines);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(1000)]
    public void Push_MultiByteCharactersSplitAcrossChunks_DecodeWhole(int chunkSize)
    {
        var lines = Split(Encoding.UTF8.GetBytes("grüße 🚀 ✓\nnäxt\n"), chunkSize, 100);

        Assert.Equal(["grüße 🚀 ✓", "näxt"], lines);
    }

    [Theory]
    [InlineData(new byte[] { 0x6f, 0x6b, 0xff, 0x0a }, "ok\uFFFD")] // byte that is never UTF-8
    [InlineData(new byte[] { 0xc3, 0x28, 0x0a }, "\uFFFD(")] // lead byte without its continuation
    [InlineData(new byte[] { 0x80, 0x80, 0x0a }, "\uFFFD\uFFFD")] // stray continuation bytes
    [InlineData(new byte[] { 0xed, 0xa0, 0x80, 0x0a }, "\uFFFD\uFFFD\uFFFD")] // encoded surrogate
    [InlineData(new byte[] { 0x61, 0xe2, 0x82 }, "a\uFFFD")] // stream ends inside a character
    public void Push_InvalidUtf8_BecomesReplacementCharacters(byte[] input, string expected)
    {
        Assert.Equal(expected, Assert.Single(Split(input, 1, 100)));
        Assert.Equal(expected, Assert.Single(Split(input, 1000, 100)));
    }

    [Fact]
    public async Task CopyFrom_Stream_FeedsEveryLineAndTheUnterminatedLast()
    {
        var text = string.Join('\n', Enumerable.Range(1, 50_000).Select(i => $"line {i}")) + "\nlast without newline";
        var lines = new List<string>();
        using var stream = new MemoryStream(Encoding.UTF8.GetBytes(text));

        await new OutputCapture(100, line => lines.Add(line.ToString())).CopyFromAsync(stream, TestContext.Current.CancellationToken);

        Assert.Equal(50_001, lines.Count);
        Assert.Equal("line 1", lines[0]);
        Assert.Equal("line 50000", lines[^2]);
        Assert.Equal("last without newline", lines[^1]);
    }

    private static List<string> Split(byte[] input, int chunkSize, int maxLineBytes)
    {
        var lines = new List<string>();
        var splitter = new OutputLineSplitter(maxLineBytes, line => lines.Add(line.ToString()));
        for (var at = 0; at < input.Length; at += chunkSize)
        {
            splitter.Push(input.AsSpan(at, Math.Min(chunkSize, input.Length - at)));
        }

        splitter.Complete();
        return lines;
    }
}
