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
//   wait-file:PATH   wait until PATH exists (a test lets the process go on by creating it)
//   flood:BYTES:LEN  print BYTES / LEN lines of exactly LEN bytes with the newline ("0000000001 xxx…"), in 1 MiB writes
//   longline:BYTES   print BYTES bytes of 'y' and no newline, in 1 MiB writes
//   hex:HEX          write the bytes spelled in hex as they are (no newline added), e.g. hex:6f6bff0a
//   ansi:TEXT        print TEXT in bold red with ANSI colour codes, then reset
var registrations = new List<PosixSignalRegistration>();
using var stdout = Console.OpenStandardOutput();
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
        case "wait-file":
            while (!File.Exists(value))
            {
                Thread.Sleep(20);
            }

            break;
        case "flood":
            var sizes = value.Split(':');
            Flood(stdout, long.Parse(sizes[0], CultureInfo.InvariantCulture), int.Parse(sizes[1], CultureInfo.InvariantCulture));
            break;
        case "longline":
            LongLine(stdout, long.Parse(value, CultureInfo.InvariantCulture));
            break;
        case "hex":
            stdout.Write(Convert.FromHexString(value));
            stdout.Flush();
            break;
        case "ansi":
            Console.Out.WriteLine($"\u001b[1;31m{value}\u001b[0m");
            Console.Out.Flush();
            break;
        default:
            Console.Error.WriteLine($"dummy: unknown step '{step}'");
            return 64;
    }
}

GC.KeepAlive(registrations);
return 0;

// Writes whole lines "<10-digit number> xxx…\n" of `length` bytes, numbered from 1, filling 1 MiB blocks in place.
static void Flood(Stream output, long bytes, int length)
{
    var lines = bytes / length;
    var perBlock = Math.Max(1, (1 << 20) / length);
    var block = new byte[perBlock * length];
    for (var i = 0; i < perBlock; i++)
    {
        var line = block.AsSpan(i * length, length);
        line.Fill((byte)'x');
        line[10] = (byte)' ';
        line[^1] = (byte)'\n';
    }

    for (long written = 0; written < lines;)
    {
        var count = (int)Math.Min(perBlock, lines - written);
        for (var i = 0; i < count; i++)
        {
            (written + i + 1).TryFormat(block.AsSpan(i * length, 10), out _, "D10", CultureInfo.InvariantCulture);
        }

        output.Write(block, 0, count * length);
        written += count;
    }

    output.Flush();
}

static void LongLine(Stream output, long bytes)
{
    var block = new byte[1 << 20];
    block.AsSpan().Fill((byte)'y');
    for (long left = bytes; left > 0; left -= block.Length)
    {
        output.Write(block, 0, (int)Math.Min(block.Length, left));
    }

    output.Flush();
}

static void WritePid(string path, int pid)
{
    var temp = path + ".tmp";
    File.WriteAllText(temp, pid.ToString(CultureInfo.InvariantCulture));
    File.Move(temp, path, overwrite: true);
}

internal sealed partial class Program;
