using System.Globalization;
using System.Text;

namespace Brummer.Benchmarks;

/// <summary>
/// Output a busy dev stack prints, for the log benchmarks: a deterministic mix of dev-server, HTTP access, JSON log,
/// compiler and stack-trace lines, 64 bytes long on average with the line break, one in five coloured with ANSI SGR
/// codes the way vite, jest and chalk colour them.
/// </summary>
internal static class LogOutputWorld
{
    private static readonly string[] Paths = ["/api/users", "/api/orders/42", "/src/App.tsx", "/assets/index-4f2a.js", "/healthz"];

    /// <summary>The lines, without line breaks.</summary>
    public static string[] Lines(int count)
    {
        var random = new Random(42);
        var lines = new string[count];
        for (var i = 0; i < count; i++)
        {
            var path = Paths[random.Next(Paths.Length)];
            var ms = random.Next(1, 900);
            var line = (i % 10) switch
            {
                0 => $"{Time(i)} [vite] hmr update {path} (x{random.Next(1, 9)})",
                1 => $"  GET {path} 200 in {ms}ms",
                2 => $"{{\"level\":30,\"time\":{1764300000000L + i},\"pid\":4242,\"reqId\":\"req-{i:x}\",\"msg\":\"request completed\",\"responseTime\":{ms}}}",
                3 => $"    at Object.<anonymous> ({path.Replace('/', '_')}.js:{random.Next(1, 400)}:{random.Next(1, 80)})",
                4 => $"src/components/Button.tsx({random.Next(1, 200)},{random.Next(1, 60)}): error TS2322: Type 'string' is not assignable to type 'number'.",
                5 => $"webpack 5.97.1 compiled successfully in {ms} ms",
                6 => $"[nodemon] restarting due to changes...",
                7 => $"info  - ready on http://localhost:3000, url: http://localhost:3000{path}",
                _ => $"{Time(i)} worker {random.Next(1, 8)} processed job {i} in {ms}ms",
            };
            lines[i] = i % 5 == 4 ? Colour(line, random.Next(31, 37)) : line;
        }

        return lines;
    }

    /// <summary>The lines as a process writes them: UTF-8, each ended by <c>\n</c>.</summary>
    public static byte[] Output(string[] lines)
    {
        var builder = new StringBuilder();
        foreach (var line in lines)
        {
            builder.Append(line).Append('\n');
        }

        return Encoding.UTF8.GetBytes(builder.ToString());
    }

    public static string Colour(string text, int colour) =>
        string.Create(CultureInfo.InvariantCulture, $"\u001b[{colour}m\u001b[1m{text[..Math.Min(8, text.Length)]}\u001b[22m{text[Math.Min(8, text.Length)..]}\u001b[39m");

    private static string Time(int i) => string.Create(CultureInfo.InvariantCulture, $"{10 + (i / 3600 % 12):00}:{i / 60 % 60:00}:{i % 60:00}");
}
