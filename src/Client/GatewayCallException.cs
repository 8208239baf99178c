namespace Brummer.Client;

/// <summary>The gateway refused or could not do what a client verb asked; the message is written for the user.</summary>
public sealed class GatewayCallException(string message) : Exception(message);
