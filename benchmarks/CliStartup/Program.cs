// One GET of the status answer and a JSON parse, nothing else: what `brummer status` cannot go below.
// JIT:       dotnet build -c Release benchmarks/CliStartup -o /tmp/cli-floor-jit && /tmp/cli-floor-jit/CliStartup URL
// NativeAOT: dotnet publish -c Release -r linux-x64 -p:PublishAot=true benchmarks/CliStartup -o /tmp/cli-floor-aot && /tmp/cli-floor-aot/CliStartup URL
using System.Text.Json;

using var http = new HttpClient { BaseAddress = new Uri(args.Length > 0 ? args[0] : "http://127.0.0.1:7777") };
var body = await http.GetStringAsync(new Uri("api/processes", UriKind.Relative));
using var answer = JsonDocument.Parse(body);
Console.WriteLine(answer.RootElement.GetProperty("processes").GetArrayLength());
