using System.Text;

namespace Brummer.Client;

/// <summary>Plain text tables for a terminal: columns padded to their widest cell, status columns coloured.</summary>
public static class Table
{
    public static string Clip(string text, int max)
    {
        ArgumentNullException.ThrowIfNull(text);
        return text.Length <= max ? text : string.Concat(text.AsSpan(0, max - 1), "…");
    }

    /// <param name="headers">The column titles.</param>
    /// <param name="rows">One array of cells per row, as many as there are headers.</param>
    /// <param name="colouredColumns">Columns of statuses or health, coloured on a terminal (<see cref="StatusColors"/>).</param>
    public static string Render(string[] headers, IEnumerable<string[]> rows, int[]? colouredColumns = null)
    {
        ArgumentNullException.ThrowIfNull(headers);
        var all = rows.ToList();
        var widths = headers.Select((h, i) => Math.Max(h.Length, all.Count == 0 ? 0 : all.Max(r => r[i].Length))).ToArray();
        var text = new StringBuilder();
        Append(text, headers, widths, []);
        foreach (var row in all)
        {
            Append(text, row, widths, colouredColumns ?? []);
        }

        return text.ToString().TrimEnd();
    }

    private static void Append(StringBuilder text, string[] cells, int[] widths, int[] colouredColumns)
    {
        for (var i = 0; i < cells.Length; i++)
        {
            var cell = i == cells.Length - 1 ? cells[i] : cells[i].PadRight(widths[i] + 2);
            text.Append(colouredColumns.Contains(i) ? StatusColors.Paint(cell, cells[i]) : cell);
        }

        text.AppendLine();
    }
}
