namespace Brummer.Cli.Tests;

/// <summary>What a test reads of an Orleans membership table in a real store.</summary>
internal sealed record MembershipRows(int Version, IReadOnlyList<(string Name, int Status)> Silos)
{
    /// <summary>Nodes a and b each have exactly one active row, and the table's version is past <paramref name="before"/>.</summary>
    public bool BothActivePast(int before) =>
        Version > before && Silos.Count(m => m is ("a", 3)) == 1 && Silos.Count(m => m is ("b", 3)) == 1;

    /// <summary>Both nodes' rows back and Active in a table that was put back (a fresh one reads version 0).</summary>
    public bool BothActiveRestored() =>
        Version > 0 && Silos.Count(m => m is ("a", 3)) == 1 && Silos.Count(m => m is ("b", 3)) == 1;

    public override string ToString() => $"version {Version}: {string.Join(", ", Silos.Select(s => $"{s.Name}={s.Status}"))}";
}
