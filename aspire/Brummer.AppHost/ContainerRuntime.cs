using System.Diagnostics;
using Microsoft.Extensions.Configuration;

namespace Brummer.AppHost;

/// <summary>Whether the container runtime Aspire would use (docker unless ASPIRE_CONTAINER_RUNTIME says podman) answers.</summary>
internal static class ContainerRuntime
{
    private static readonly TimeSpan Patience = TimeSpan.FromSeconds(10);

    public static bool IsAvailable(IConfiguration configuration)
    {
        var runtime = configuration["ASPIRE_CONTAINER_RUNTIME"] ?? configuration["DOTNET_ASPIRE_CONTAINER_RUNTIME"] ?? "docker";
        var info = new ProcessStartInfo(runtime, ["info"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };

        try
        {
            using var process = Process.Start(info);
            if (process is null)
            {
                return false;
            }

            // The CLI is often installed without an engine to talk to: only an answer from the engine counts.
            _ = process.StandardOutput.ReadToEndAsync();
            _ = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(Patience))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false; // Not installed.
        }
    }
}
