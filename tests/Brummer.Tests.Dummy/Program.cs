using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;

// A fake child process for Brummer's tests: a real OS process whose behaviour each test spells out as steps, run in order.
//   print:N          print N lines "line 1".."line N" to stdout
//   say:TEXT         print TEXT to stdout          err:TEXT   print TEXT to stderr
//   pidfile:PATH     write this process's pid to PATH (atomically)
//   ignore-sigterm   survive SIGTERM (only SIGKILL ends it)
//   child:PATH       spawn a grandchild that ignores SIGTERM, writes its pid to PATH and sleeps forever
//   sleep            sleep forever                 sleep:MS   sleep MS milliseconds
//   exit:CODE        exit with CODE
var registrations = new List<PosixSignalRegistration>();
foreach (var step in args)
{
    var (verb, value) = step.IndexOf(':', StringComparison.Ordinal) is var at and > 0 ? (step[..at], step[(at + 1)..]) : (step, string.Empty);
    switch (verb)
    {
        case "print":
            for (var i = 1; i <= int.Parse(value, CultureInfo.InvariantCulture); i++)
            {
                Console.Out.WriteLine($"line {i}");
            }

            Console.Out.Flush();
            break;
        case "say":
            Console.Out.WriteLine(value);
            Console.Out.Flush();
            break;
        case "err":
            Console.Error.WriteLine(value);
            Console.Error.Flush();
            break;
        case "pidfile":
            WritePid(value, Environment.ProcessId);
            break;
        case "ignore-sigterm":
            registrations.Add(PosixSignalRegistration.Create(PosixSignal.SIGTERM, context => context.Cancel = true));
            break;
        case "child":
            var self = Environment.ProcessPath!;
            var start = new ProcessStartInfo(self) { UseShellExecute = false };
            if (!string.Equals(Path.GetFileNameWithoutExtension(self), "Brummer.Tests.Dummy", StringComparison.Ordinal))
            {
                start.ArgumentList.Add(typeof(Program).Assembly.Location); // running as `dotnet Dummy.dll`
            }

            foreach (var arg in (string[])["ignore-sigterm", $"pidfile:{value}", "sleep"])
            {
                start.ArgumentList.Add(arg);
            }

            using (var child = Process.Start(start)!)
            {
                // Wait for the grandchild to be set up, so tests see its pid before they act.
                while (!File.Exists(value) && !child.HasExited)
                {
                    Thread.Sleep(10);
                }
            }

            break;
        case "sleep":
            Thread.Sleep(value.Length == 0 ? Timeout.Infinite : int.Parse(value, CultureInfo.InvariantCulture));
            break;
        case "exit":
            return int.Parse(value, CultureInfo.InvariantCulture);
        default:
            Console.Error.WriteLine($"dummy: unknown step '{step}'");
            return 64;
    }
}

GC.KeepAlive(registrations);
return 0;

static void WritePid(string path, int pid)
{
    var temp = path + ".tmp";
    File.WriteAllText(temp, pid.ToString(CultureInfo.InvariantCulture));
    File.Move(temp, path, overwrite: true);
}

internal sealed partial class Program;
