using Brummer.Grains.Abstractions;
using Brummer.Grains.Status;

namespace Brummer.Grains.Tests;

public sealed class ScriptIndexTests
{
    // Every length class the hash reads differently: under 8 bytes (1-3 chars), exactly 8, between words, long; names
    // that share a prefix, a suffix, or both and differ in the middle; non-ASCII.
    private static readonly string[] Names =
    [
        "a", "ab", "abc", "dev", "test", "build", "web:dev", "web:test", "lint:fix", "@shop/web:dev", "@shop/api:dev",
        "process-00", "process-01", "process-10", "service-a-dev", "service-b-dev", "café", "cafe", "naïve-watcher",
        "a-very-long-script-name-that-spans-several-words-of-eight-bytes",
        "a-very-long-script-name-that-spans-several-words-of-eight-byteS",
    ];

    [Fact]
    public void EveryName_FindsItsOwnCell_EvenAsAnotherStringInstance()
    {
        var cells = Cells(Names);
        var index = new ScriptIndex(cells);

        foreach (var cell in cells)
        {
            var name = cell.Script.Name;
            Assert.True(index.TryGetValue(new string(name.AsSpan()), out var found), name);
            Assert.Same(cell, found);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("A")]
    [InlineData("de")]
    [InlineData("devx")]
    [InlineData("Dev")]
    [InlineData("process-0")]
    [InlineData("process-000")]
    [InlineData("process-02")]
    [InlineData("service-c-dev")]
    [InlineData("cafe\u0301")]
    [InlineData("a-very-long-script-name-that-spans-several-words-of-eight-bytez")]
    public void NameNotDefined_IsNotFound(string name)
    {
        var index = new ScriptIndex(Cells(Names));

        Assert.False(index.TryGetValue(name, out _));
    }

    [Fact]
    public void ThousandsOfNames_AreAllFound_AndNoOtherIs()
    {
        var names = Enumerable.Range(0, 5_000).Select(i => $"svc-{i}").ToArray();
        var index = new ScriptIndex(Cells(names));

        Assert.All(names, name => Assert.True(index.TryGetValue(new string(name.AsSpan()), out var cell) && cell.Script.Name == name, name));
        Assert.All(Enumerable.Range(5_000, 1_000), i => Assert.False(index.TryGetValue($"svc-{i}", out _)));
    }

    [Fact]
    public void Empty_FindsNothing()
    {
        Assert.False(ScriptIndex.Empty.TryGetValue("dev", out _));
        Assert.False(ScriptIndex.Empty.TryGetValue(string.Empty, out _));
    }

    [Fact]
    public void NameDefinedTwice_IsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new ScriptIndex(Cells(["dev", "build", "dev"])));

        Assert.Contains("'dev'", error.Message, StringComparison.Ordinal);
    }

    private static ProcessCell[] Cells(IEnumerable<string> names) =>
        [.. names.Select(name => new ProcessCell(new ScriptInfo("n1", name, "cmd", "test")))];
}
