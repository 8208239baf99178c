using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Brummer.Cli.Native;

/// <summary>
/// The full CLI (src/Cli: the silo, the gateway, every verb), shipped beside this front end in <c>host/</c>. A command
/// line the front end does not answer becomes that program: on Unix the process image is replaced (execv), so the pid,
/// the terminal, signals and the exit code are the full CLI's own, as if it had been started directly.
/// </summary>
internal static partial class FullCli
{
    private const int NotFound = 127; // what a shell answers for a command it cannot find

    public static int Exec(string[] args)
    {
        var dll = Path.Combine(AppContext.BaseDirectory, "host", "brummer.dll");
        if (!File.Exists(dll))
        {
            return Fail($"the full CLI is missing: no {dll}. Reinstall the Brummer.Cli tool.");
        }

        if (DotnetHost() is not { } dotnet)
        {
            return Fail($"cannot find .NET (the `dotnet` program) to run `brummer {string.Join(' ', args)}`: install the .NET 10 runtime, or set DOTNET_ROOT to where it is.");
        }

        string[] argv = [dotnet, dll, .. args];
        if (OperatingSystem.IsWindows())
        {
            return RunChild(argv);
        }

        var pointers = new nint[argv.Length + 1]; // NULL-terminated, as execv wants
        for (var i = 0; i < argv.Length; i++)
        {
            pointers[i] = Marshal.StringToCoTaskMemUTF8(argv[i]);
        }

        Execv(dotnet, pointers);
        return Fail($"could not start {dotnet} {dll}: {Marshal.GetLastPInvokeErrorMessage()}");
    }

    /// <summary>Where `dotnet` is: as the .NET CLI that launched a tool says, else DOTNET_ROOT, PATH, the usual places.</summary>
    private static string? DotnetHost()
    {
        var name = OperatingSystem.IsWindows() ? "dotnet.exe" : "dotnet";
        IEnumerable<string?> candidates =
        [
            Environment.GetEnvironmentVariable("DOTNET_HOST_PATH"),
            Under(Environment.GetEnvironmentVariable("DOTNET_ROOT")),
            .. (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries).Select(Under),
            Under("/usr/share/dotnet"),
            Under("/usr/lib/dotnet"),
            Under("/usr/local/share/dotnet"),
            Under(Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".dotnet")),
        ];
        return candidates.FirstOrDefault(File.Exists);

        string? Under(string? directory) => string.IsNullOrEmpty(directory) ? null : Path.Combine(directory, name);
    }

    private static int RunChild(string[] argv)
    {
        var start = new ProcessStartInfo(argv[0]) { UseShellExecute = false };
        foreach (var arg in argv.Skip(1))
        {
            start.ArgumentList.Add(arg);
        }

        using var child = Process.Start(start)!;
        child.WaitForExit();
        return child.ExitCode;
    }

    private static int Fail(string message)
    {
        Console.Error.WriteLine($"brummer: {message}");
        return NotFound;
    }

    [LibraryImport("libc", EntryPoint = "execv", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Execv(string path, nint[] argv);
}
