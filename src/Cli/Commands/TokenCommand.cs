using Brummer.Client;
using System.CommandLine;
using Brummer.Gateway.Security;

namespace Brummer.Cli.Commands;

/// <summary><c>brummer token create|list|revoke</c>: the API tokens gateways accept, kept hashed in a token file.</summary>
internal static class TokenCommand
{
    public static Command Create()
    {
        var file = TokensOption();
        var command = new Command(
            "token",
            "Manages the API tokens gateways accept (stored as SHA-256 hashes in a token file). A gateway reads the file at " +
            "start and again whenever it changes, so a revoke takes effect within a second. Roles: read (list, status, " +
            "logs, errors, urls), operate (also run, stop, restart), admin (everything).");
        command.Options.Add(file);
        command.Subcommands.Add(CreateVerb(file));
        command.Subcommands.Add(ListVerb(file));
        command.Subcommands.Add(RevokeVerb(file));
        return command;
    }

    /// <summary>The token file option shared by <c>token</c>, <c>up</c> and <c>gateway</c>.</summary>
    public static Option<string?> TokensOption() => new("--tokens")
    {
        Description = $"Token file (default ${TokenFile.EnvironmentVariable}, else {TokenFile.DefaultPath}).",
        Recursive = true,
    };

    private static Command CreateVerb(Option<string?> file)
    {
        var name = new Argument<string>("NAME") { Description = "Who or what the token is for (e.g. alice, ci, claude); unique in the file." };
        name.Validators.Add(Validate.NameArgument);
        var role = new Option<string>("--role", "-r")
        {
            Description = "What the token may do: read, operate or admin.",
            Required = true,
        };
        role.AcceptOnlyFromAmong("read", "operate", "admin");
        var ifAbsent = new Option<bool>("--if-absent")
        {
            Description = "If the file already has a token named NAME, change nothing and succeed (it is not shown again): " +
                "for setup scripts that run at every start, such as the tokens service of docker-compose.yml.",
        };
        var command = new Command(
            "create",
            "Creates a token and prints it once, on stdout (it is stored only as a hash). A NAME already in the file is an error, unless --if-absent.")
        {
            name, role, ifAbsent,
        };
        command.SetAction(parse =>
        {
            var path = TokenFile.Resolve(parse.GetValue(file));
            if (!GatewayRoles.TryParse(parse.GetValue(role), out var granted))
            {
                return CommandOutput.Fail("--role must be read, operate or admin.");
            }

            try
            {
                if (parse.GetValue(ifAbsent) && Existing(path, parse.GetValue(name)!) is { } existing)
                {
                    // On stderr, like the other notes: stdout carries a token or nothing, so a script can tell which.
                    var asked = existing.Role == granted ? string.Empty : $", not {granted.ToWireName()} as asked";
                    Console.Error.WriteLine($"Token '{existing.Name}' ({existing.Role.ToWireName()}{asked}) already exists in {path}: left unchanged, " +
                        $"and not shown again (only its hash is stored). To replace it: brummer token revoke {existing.Name} --tokens {path}, then create it again.");
                    return 0;
                }

                var token = TokenFile.Create(path, parse.GetValue(name)!, granted, TimeProvider.System);
                Console.WriteLine(token);
                Console.Error.WriteLine($"Token '{parse.GetValue(name)}' ({granted.ToWireName()}) added to {path}. It is shown only now: store it safely.");
                Console.Error.WriteLine($"Use it with: export {GatewayEndpoint.TokenVariable}=<token>   (or --token)");
                return 0;
            }
            catch (Exception ex) when (ex is TokenFileException or IOException or UnauthorizedAccessException)
            {
                return CommandOutput.Fail(ex.Message);
            }
        });
        return command;
    }

    private static StoredToken? Existing(string path, string name) =>
        File.Exists(path) ? TokenFile.Load(path).FirstOrDefault(t => string.Equals(t.Name, name, StringComparison.Ordinal)) : null;

    private static Command ListVerb(Option<string?> file)
    {
        var command = new Command("list", "Lists the tokens of the file: name, role, when created (never the tokens themselves).");
        command.SetAction(parse =>
        {
            var path = TokenFile.Resolve(parse.GetValue(file));
            if (!File.Exists(path))
            {
                Console.WriteLine($"No token file at {path}: gateways using it run without authentication (loopback only).");
                return 0;
            }

            try
            {
                var tokens = TokenFile.Load(path);
                Console.WriteLine($"{tokens.Count} token(s) in {path}");
                foreach (var token in tokens)
                {
                    Console.WriteLine($"{token.Name,-24} {token.Role.ToWireName(),-8} created {token.Created:yyyy-MM-dd HH:mm}Z");
                }

                return 0;
            }
            catch (TokenFileException ex)
            {
                return CommandOutput.Fail(ex.Message);
            }
        });
        return command;
    }

    private static Command RevokeVerb(Option<string?> file)
    {
        var name = new Argument<string>("NAME") { Description = "The token to revoke (see `brummer token list`)." };
        var command = new Command("revoke", "Removes a token; gateways refuse it within a second.") { name };
        command.SetAction(parse =>
        {
            var path = TokenFile.Resolve(parse.GetValue(file));
            try
            {
                if (!File.Exists(path) || !TokenFile.Revoke(path, parse.GetValue(name)!))
                {
                    return CommandOutput.Fail($"No token named '{parse.GetValue(name)}' in {path} (brummer token list shows them).");
                }

                Console.WriteLine($"Revoked '{parse.GetValue(name)}' in {path}.");
                return 0;
            }
            catch (Exception ex) when (ex is TokenFileException or IOException or UnauthorizedAccessException)
            {
                return CommandOutput.Fail(ex.Message);
            }
        });
        return command;
    }
}
