namespace Brummer.Grains.Discovery.Stack;

/// <summary>The "did you mean" of an error: the known name nearest to a mistyped one, if it is near enough.</summary>
internal static class Closest
{
    /// <summary>" (did you mean 'x'?)" for the nearest known name, with <paramref name="prefix"/> before it; empty if none is near.</summary>
    public static string Hint(string typed, IEnumerable<string> known, string prefix = "") =>
        To(typed, known) is { } closest ? $" (did you mean '{prefix}{closest}'?)" : string.Empty;

    public static string? To(string typed, IEnumerable<string> known)
    {
        // A third of the name's length (at least 2) catches typos and swapped letters without suggesting unrelated names.
        var limit = Math.Max(2, typed.Length / 3);
        string? best = null;
        var bestDistance = int.MaxValue;
        foreach (var candidate in known)
        {
            var distance = Distance(typed, candidate);
            if (distance <= limit && distance < bestDistance)
            {
                best = candidate;
                bestDistance = distance;
            }
        }

        return best;
    }

    /// <summary>Levenshtein distance, case-insensitive (a wrong case is a typo too).</summary>
    private static int Distance(string a, string b)
    {
        if (Math.Abs(a.Length - b.Length) > 64)
        {
            return int.MaxValue;
        }

        var previous = new int[b.Length + 1];
        var current = new int[b.Length + 1];
        for (var j = 0; j <= b.Length; j++)
        {
            previous[j] = j;
        }

        for (var i = 1; i <= a.Length; i++)
        {
            current[0] = i;
            for (var j = 1; j <= b.Length; j++)
            {
                var cost = char.ToLowerInvariant(a[i - 1]) == char.ToLowerInvariant(b[j - 1]) ? 0 : 1;
                current[j] = Math.Min(Math.Min(current[j - 1] + 1, previous[j] + 1), previous[j - 1] + cost);
            }

            (previous, current) = (current, previous);
        }

        return previous[b.Length];
    }
}
