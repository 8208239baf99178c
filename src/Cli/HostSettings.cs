using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Hosting;

namespace Brummer.Cli;

/// <summary>
/// What every Brummer host (node, gateway, embedded cluster) is built with. The content root is the program's own
/// directory, not the working directory: Brummer is run from a project (often with a node_modules of tens of thousands
/// of directories), and the hosting defaults watch the content root recursively for appsettings changes — seconds of
/// start-up and thousands of inotify watches — and would read a project's own appsettings.json as Brummer's.
/// </summary>
internal static class HostSettings
{
    public static WebApplicationOptions Web(string[]? args) => new() { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory };

    public static HostApplicationBuilderSettings Generic(string[]? args) => new() { Args = args ?? [], ContentRootPath = AppContext.BaseDirectory };
}
