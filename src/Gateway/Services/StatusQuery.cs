namespace Brummer.Gateway.Services;

/// <summary>
/// What a status answer is narrowed to — one script, one node, some statuses, what changed since an earlier answer —
/// checked the same way for the MCP tool, the JSON route and the CLI.
/// </summary>
public sealed record StatusQuery(string? Name, string? Node, StatusSelection? Statuses, StatusCursor? ChangedSince)
{
    public static readonly StatusQuery Everything = new(null, null, null, null);

    public bool IsEverything => Name is null && Node is null && Statuses is null && ChangedSince is null;

    public static StatusQuery Parse(string? name, string? node, string? status = null, string? changedSince = null) => new(
        Arguments.OptionalName(name, "name"),
        Arguments.OptionalName(node, "node"),
        StatusSelection.Parse(status, "status"),
        StatusCursor.Parse(changedSince, "changed_since"));
}
