using System.Buffers.Text;
using System.Collections.Immutable;
using System.Globalization;
using System.Text;
using Brummer.Gateway.Status;
using Brummer.Grains.Abstractions;

namespace Brummer.Gateway.Services;

/// <summary>
/// Where a status answer stood, per node: the run of the node (incarnation), the version of its state, of its
/// definitions, and whether it was lost or had left. Handed back as <c>changed_since</c>, it narrows the next answer to
/// the processes that changed after it. Opaque to callers (base64url), so its shape can change.
/// </summary>
public sealed class StatusCursor
{
    private const string Format = "1";

    private readonly ImmutableDictionary<string, Mark> _nodes;

    private StatusCursor(ImmutableDictionary<string, Mark> nodes) => _nodes = nodes;

    /// <summary>The cursor of an answer built from <paramref name="view"/>.</summary>
    public static string Of(ClusterView view)
    {
        ArgumentNullException.ThrowIfNull(view);
        var text = new StringBuilder(Format);
        foreach (var node in view.Nodes)
        {
            var mark = Mark.Of(node);
            text.Append(CultureInfo.InvariantCulture, $"\n{mark.Incarnation}:{mark.Version}:{mark.Definitions}:{mark.Ending}:{node.Name}");
        }

        return Base64Url.EncodeToString(Encoding.UTF8.GetBytes(text.ToString()));
    }

    /// <summary>Null when omitted; a clear error when the value is not a cursor this gateway handed out.</summary>
    public static StatusCursor? Parse(string? value, string argument)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            return null;
        }

        if (value.Length > 64 * 1024 || !TryDecode(value.Trim(), out var cursor))
        {
            throw new GatewayException(
                GatewayErrorKind.BadRequest,
                $"'{argument}' must be the 'cursor' of an earlier status answer, as it was given; got {InputText.Quote(value)}.");
        }

        return cursor;
    }

    /// <summary>
    /// True when <paramref name="process"/> may have changed since the cursor: its node is new, ran anew, was lost or
    /// left, reloaded its definitions, or published the process at a later version.
    /// </summary>
    public bool Changed(NodeView node, ProcessInfo process)
    {
        ArgumentNullException.ThrowIfNull(node);
        ArgumentNullException.ThrowIfNull(process);
        if (!_nodes.TryGetValue(node.Name, out var then))
        {
            return true;
        }

        var now = Mark.Of(node);
        return now.Incarnation != then.Incarnation || now.Ending != then.Ending || now.Definitions != then.Definitions || process.Version > then.Version;
    }

    private static bool TryDecode(string value, out StatusCursor? cursor)
    {
        cursor = null;
        byte[] bytes;
        try
        {
            bytes = Base64Url.DecodeFromChars(value);
        }
        catch (FormatException)
        {
            return false;
        }

        var lines = Encoding.UTF8.GetString(bytes).Split('\n');
        if (lines[0] != Format)
        {
            return false;
        }

        var nodes = ImmutableDictionary.CreateBuilder<string, Mark>(StringComparer.Ordinal);
        foreach (var line in lines.AsSpan(1))
        {
            var parts = line.Split(':', 5);
            if (parts.Length != 5 ||
                !long.TryParse(parts[0], NumberStyles.Integer, CultureInfo.InvariantCulture, out var incarnation) ||
                !long.TryParse(parts[1], NumberStyles.Integer, CultureInfo.InvariantCulture, out var version) ||
                !long.TryParse(parts[2], NumberStyles.Integer, CultureInfo.InvariantCulture, out var definitions) ||
                !int.TryParse(parts[3], NumberStyles.Integer, CultureInfo.InvariantCulture, out var ending))
            {
                return false;
            }

            nodes[parts[4]] = new Mark(incarnation, version, definitions, ending);
        }

        cursor = new StatusCursor(nodes.ToImmutable());
        return true;
    }

    private readonly record struct Mark(long Incarnation, long Version, long Definitions, int Ending)
    {
        public static Mark Of(NodeView node) => new(node.Incarnation, node.Version, node.DefinitionsVersion, node.IsLost ? 2 : node.HasLeft ? 1 : 0);
    }
}
