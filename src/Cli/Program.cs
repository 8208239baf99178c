using System.CommandLine;
using Brummer.Cli;
using Brummer.Client;
using Brummer.Cli.Commands;

StandardStreams.WriteDirectly();
var parse = BrummerCommands.Parse(args);
if (CommandOutput.UsageErrors(parse) is { } usageError)
{
    return usageError;
}

// Ctrl+C and SIGTERM belong to the host (it stops every script before exiting), not to the parser.
return await parse.InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
