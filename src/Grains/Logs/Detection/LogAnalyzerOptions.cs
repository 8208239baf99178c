namespace Brummer.Grains.Logs.Detection;

/// <summary>Bounds and choices of a <see cref="LogAnalyzer"/>; the defaults suit one dev-script process.</summary>
public sealed record LogAnalyzerOptions
{
    public static LogAnalyzerOptions Default { get; } = new();

    /// <summary>The host that replaces an unspecified listen address (0.0.0.0, [::]) in detected URLs.</summary>
    public string ReachableHost { get; init; } = "localhost";

    /// <summary>Distinct errors kept; past it the least recently seen one goes (never the first error).</summary>
    public int MaxErrorGroups { get; init; } = 100;

    /// <summary>Characters of stored blocks kept across all groups (about 2 bytes each); evicts like
    /// <see cref="MaxErrorGroups"/>.</summary>
    public int MaxStoredChars { get; init; } = 1_000_000;

    /// <summary>Lines kept of one block: the first <c>MaxBlockLines - BlockTailLines</c> and the last
    /// <see cref="BlockTailLines"/>; the ones between are counted in <see cref="ErrorGroup.OmittedLines"/>.</summary>
    public int MaxBlockLines { get; init; } = 150;

    /// <summary>Lines kept from the end of a long block (Java's "Caused by:" root cause sits there).</summary>
    public int BlockTailLines { get; init; } = 50;

    /// <summary>Characters of a line that are examined and stored; the rest is cut (with "…").</summary>
    public int MaxLineLength { get; init; } = 2_000;

    /// <summary>Distinct URL origins kept; later ones are counted in <see cref="LogAnalyzer.DroppedUrls"/>.</summary>
    public int MaxUrls { get; init; } = 50;

    internal void Validate()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(ReachableHost);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxErrorGroups, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxStoredChars, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxBlockLines, 2);
        ArgumentOutOfRangeException.ThrowIfNegative(BlockTailLines);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(BlockTailLines, MaxBlockLines);
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxLineLength, 80);
        ArgumentOutOfRangeException.ThrowIfNegative(MaxUrls);
    }
}
