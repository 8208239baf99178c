namespace Brummer.Gateway.Services;

public enum GatewayErrorKind
{
    /// <summary>A required argument is missing or malformed.</summary>
    BadRequest = 1,

    /// <summary>The script or node named does not exist.</summary>
    NotFound = 2,

    /// <summary>The cluster could not carry out the request.</summary>
    Unavailable = 3,
}

/// <summary>A request the gateway refuses, with a message written for the user or agent who made it.</summary>
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
