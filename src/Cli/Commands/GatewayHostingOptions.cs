using System.CommandLine;
using System.Net;
using Brummer.Gateway.Security;

namespace Brummer.Cli.Commands;

/// <summary>The options of every command that hosts a gateway (<c>up</c>, <c>gateway</c>): access control and limits.</summary>
internal sealed class GatewayHostingOptions
{
    public Option<string?> Tokens { get; } = new("--tokens")
    {
        Description = $"Token file requests are checked against (default ${TokenFile.EnvironmentVariable}, else {TokenFile.DefaultPath} if it exists). " +
            "Without one, the gateway requires no token and listens on loopback only.",
    };

    public Option<string[]> AllowOrigin { get; } = new("--allow-origin")
    {
        Description = "A web origin (e.g. http://localhost:5173) whose pages may call this gateway, besides its own. Repeatable.",
        Arity = ArgumentArity.ZeroOrMore,
        AllowMultipleArgumentsPerToken = false,
    };

    public Option<bool> ReadOnly { get; } = new("--read-only")
    {
        Description = "Serve status, logs and errors only: no run, stop or restart for anyone.",
    };

    public Option<bool> Insecure { get; } = ClusterCommandOptions.Insecure();

    public Option<double> ControlTimeout { get; } = new("--control-timeout")
    {
        Description = "Seconds a run, stop or restart may take before the caller is told it timed out; a request the node had not acted on by then never takes effect.",
        DefaultValueFactory = _ => 10,
        Validators = { Validate.Seconds("--control-timeout", 1, 600) },
    };

    public IEnumerable<Option> All => [Tokens, AllowOrigin, ReadOnly, Insecure, ControlTimeout];

    /// <summary>The security the command line asks for; <see cref="ArgumentException"/> with one clear line when it cannot be had.</summary>
    public GatewaySecurity Read(ParseResult parse, IPAddress bind)
    {
        ArgumentNullException.ThrowIfNull(parse);
        ArgumentNullException.ThrowIfNull(bind);
        var explicitPath = parse.GetValue(Tokens) is { Length: > 0 } option ? option
            : Environment.GetEnvironmentVariable(TokenFile.EnvironmentVariable) is { Length: > 0 } fromEnvironment ? fromEnvironment
            : null;
        var path = TokenFile.Resolve(explicitPath);
        if (!File.Exists(path))
        {
            if (explicitPath is not null)
            {
                throw new ArgumentException($"The token file {path} does not exist. Create a token with: brummer token create NAME --role operate --tokens {path}");
            }

            path = null; // The default file is optional: without it, authentication is off.
        }

        int count;
        try
        {
            count = path is null ? 0 : TokenFile.Load(path).Count;
        }
        catch (TokenFileException ex)
        {
            throw new ArgumentException(ex.Message, ex);
        }

        var insecure = parse.GetValue(Insecure);
        if (!IPAddress.IsLoopback(bind) && count == 0 && !insecure)
        {
            throw new ArgumentException(
                $"--bind {bind} would let anyone on the network run and stop your scripts, and there is no token to require. " +
                "Create one first (brummer token create NAME --role operate), or pass --insecure to run without authentication anyway.");
        }

        var origins = new List<string>();
        foreach (var origin in parse.GetValue(AllowOrigin) ?? [])
        {
            if (!Uri.TryCreate(origin, UriKind.Absolute, out var uri) || uri.Scheme is not ("http" or "https") || uri.PathAndQuery != "/" || origin.EndsWith('/'))
            {
                throw new ArgumentException($"--allow-origin '{origin}' is not an origin: use scheme://host[:port], e.g. http://localhost:5173.");
            }

            origins.Add(origin);
        }

        return new GatewaySecurity(path, count, origins, parse.GetValue(ReadOnly), TimeSpan.FromSeconds(parse.GetValue(ControlTimeout)));
    }
}
