using Brummer.Client;
using System.CommandLine;
using System.Globalization;
using System.Text.Json;
using Brummer.Gateway.Contracts;

namespace Brummer.Cli.Commands;

/// <summary>
/// <c>brummer claim NAME --minutes M [--note T]</c> and <c>brummer release NAME</c>: keep others' hands off a process
/// for a while (their run, stop and restart are refused unless forced), and end that sooner.
/// </summary>
internal static class ClaimCommand
{
    public static Option<bool> ForceOption(string what) => new("--force") { Description = what };

    public static Command CreateClaim(GatewayAccess gateway, Option<string?> node, Option<bool> json)
    {
        var name = new Argument<string>("NAME") { Description = "The script name (see `brummer scripts`)." };
        var minutes = new Option<double>("--minutes", "-m")
        {
            Description = "How long the claim lasts, in minutes (more than 0, at most 1440; 0.5 is 30 s). Claim again to extend it.",
            Required = true,
        };
        var note = new Option<string?>("--note") { Description = "Why, shown to whoever is refused (one line, at most 200 characters)." };
        var force = ForceOption("Take over someone else's claim (recorded in the audit).");
        var command = new Command("claim", "Keeps others' hands off a script's process for a while: their run, stop and restart are refused unless they pass --force (recorded). You act on it freely.")
        {
            name, minutes, note, force, node, json,
        };
        command.SetAction((parse, ct) => ClientCommands.Call(gateway, parse, async http =>
        {
            var query = GatewayRequests.Query(
                ("minutes", parse.GetValue(minutes).ToString(CultureInfo.InvariantCulture)),
                ("note", parse.GetValue(note)),
                ("force", parse.GetValue(force) ? "true" : null));
            var body = await GatewayRequests.PostAsync(http, $"api/processes/{GatewayRequests.ProcessPath(parse.GetValue(name)!, parse.GetValue(node))}/claim{query}", ct);
            if (parse.GetValue(json))
            {
                return body;
            }

            var result = JsonSerializer.Deserialize<ClaimResult>(body)!;
            return $"{result.Name} on {result.Node}: {ProcessText.Describe(result.Claim!)}";
        }));
        return command;
    }

    public static Command CreateRelease(GatewayAccess gateway, Option<string?> node, Option<bool> json)
    {
        var name = new Argument<string>("NAME") { Description = "The script name." };
        var force = ForceOption("End someone else's claim (recorded in the audit).");
        var command = new Command("release", "Ends your claim on a script's process (`brummer claim`), so others may act on it again.") { name, force, node, json };
        command.SetAction((parse, ct) => ClientCommands.Call(gateway, parse, async http =>
        {
            var query = GatewayRequests.Query(("force", parse.GetValue(force) ? "true" : null));
            var body = await GatewayRequests.DeleteAsync(http, $"api/processes/{GatewayRequests.ProcessPath(parse.GetValue(name)!, parse.GetValue(node))}/claim{query}", ct);
            if (parse.GetValue(json))
            {
                return body;
            }

            var result = JsonSerializer.Deserialize<ClaimResult>(body)!;
            return result.Claim is { } released
                ? $"{result.Name} on {result.Node}: released ({ProcessText.Describe(released)})."
                : $"{result.Name} on {result.Node} was not claimed.";
        }));
        return command;
    }

    /// <summary>"claimed by X until T: note", with T in local time for the person at the terminal.</summary>
}
