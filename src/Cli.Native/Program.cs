using Brummer.Cli.Native;
using Brummer.Client;

// `brummer status`, `run`, `stop` and `restart` in their everyday forms are answered here, natively; everything else
// (every other verb, --help, --wait, anything this front end does not understand exactly) is the full CLI's.
if (FastCommand.Parse(args) is not { } command)
{
    return FullCli.Exec(args);
}

StandardStreams.WriteDirectly();
return await command.RunAsync();
