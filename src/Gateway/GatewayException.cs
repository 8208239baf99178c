namespace Brummer.Gateway;

/// <summary>What kind of refusal a <see cref="GatewayException"/> is: each maps to one HTTP status and one tool error.</summary>
public enum GatewayErrorKind
{
    /// <summary>An argument is missing, malformed or out of range.</summary>
    BadRequest = 1,

    /// <summary>The script or node named does not exist.</summary>
    NotFound = 2,

    /// <summary>The cluster could not carry out the request (the node is lost, unresponsive or unreachable).</summary>
    Unavailable = 3,

    /// <summary>The node did not answer within the call's time; the request expires there without effect.</summary>
    Timeout = 4,

    /// <summary>What the request waits for cannot happen any more (the process failed, or ended otherwise) without another request.</summary>
    Conflict = 5,
}

/// <summary>
/// A request the gateway refuses, with a message written for the user or agent who made it. Inputs quoted in the
/// message go through <see cref="InputText.Quote"/>, so a message never carries a caller's input raw.
/// </summary>
public sealed class GatewayException : Exception
{
    public GatewayException(GatewayErrorKind kind, string message)
        : base(message) => Kind = kind;

    public GatewayException(GatewayErrorKind kind, string message, Exception inner)
        : base(message, inner) => Kind = kind;

    public GatewayException()
    {
    }

    public GatewayException(string message)
        : base(message)
    {
    }

    public GatewayException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public GatewayErrorKind Kind { get; } = GatewayErrorKind.BadRequest;
}
