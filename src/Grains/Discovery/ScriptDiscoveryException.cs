namespace Brummer.Grains.Discovery;

/// <summary>The node's scripts could not be discovered; the message names the file and the problem.</summary>
public sealed class ScriptDiscoveryException : Exception
{
    public ScriptDiscoveryException(string message)
        : base(message)
    {
    }

    public ScriptDiscoveryException(string message, Exception innerException)
        : base(message, innerException)
    {
    }

    public ScriptDiscoveryException()
    {
    }
}
