using System.CommandLine;
using Brummer.Cli.Commands;

// Ctrl+C and SIGTERM belong to the host (it stops every script before exiting), not to the parser.
return await BrummerCommands.Parse(args).InvokeAsync(new InvocationConfiguration { ProcessTerminationTimeout = null });
