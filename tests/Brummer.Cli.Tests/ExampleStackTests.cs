using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>The README's example stack, run the way the README runs it: web server, a task that succeeds, one that fails.</summary>
public sealed class ExampleStackTests
{
    private static readonly string HelloStack = Path.GetFullPath(Path.Combine(AppContext.BaseDirectory, "../../../../../examples/hello-stack"));

    [Fact]
    public async Task HelloStack_WebServesItsUrl_BuildSucceeds_CheckFailsWithItsError()
    {
        var ct = TestContext.Current.CancellationToken;
        var gatewayPort = Silo.FreePort.Next();
        var webPort = Silo.FreePort.Next();
        await using var brummer = BrummerProcess.Start(
            new Dictionary<string, string> { ["PORT"] = webPort.ToString(CultureInfo.InvariantCulture) },
            "up", "--dir", HelloStack, "--port", gatewayPort.ToString(CultureInfo.InvariantCulture), "--node", "laptop");
        await brummer.McpUrlAsync();
        using var api = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{gatewayPort}") };

        var scripts = await api.GetFromJsonAsync<JsonElement>(new Uri("/api/scripts", UriKind.Relative), ct);
        Assert.Equal(["build", "check", "web"], scripts.GetProperty("scripts").EnumerateArray().Select(s => s.GetProperty("name").GetString()));
        foreach (var name in new[] { "web", "build", "check" })
        {
            using var run = await api.PostAsync(new Uri($"/api/processes/{name}/run", UriKind.Relative), null, ct);
            run.EnsureSuccessStatusCode();
        }

        var processes = await Eventually.UntilAsync(
            async () => (await api.GetFromJsonAsync<JsonElement>(new Uri("/api/processes", UriKind.Relative), ct)).GetProperty("processes").EnumerateArray().ToDictionary(p => p.GetProperty("name").GetString()!),
            p => p["build"].GetProperty("status").GetString() == "succeeded" && p["check"].GetProperty("status").GetString() == "failed" &&
                 p["web"].GetProperty("last_line").GetString() is { } line && line.Contains("listening", StringComparison.Ordinal),
            "build to succeed, check to fail and web to listen");

        Assert.Equal($"web listening on http://localhost:{webPort}", processes["web"].GetProperty("last_line").GetString());
        Assert.Equal("running", processes["web"].GetProperty("status").GetString());
        Assert.Equal(0, processes["build"].GetProperty("exit_code").GetInt32());
        Assert.Equal(1, processes["check"].GetProperty("exit_code").GetInt32());
        using var web = new HttpClient();
        Assert.Equal("hello from hello-stack\n", await web.GetStringAsync(new Uri($"http://127.0.0.1:{webPort}/"), ct));

        var webPid = processes["web"].GetProperty("pid").GetInt32();
        Assert.Equal(0, await brummer.TerminateAsync());
        Assert.False(OsProcesses.IsAlive(webPid));
        Assert.Empty(OsProcesses.GroupMembers(webPid));

        // A clean stop says so, and nothing alarming: the gateway unsubscribes from the node before it goes, so the
        // node's last pushes (web stopping) find no deleted observer (Orleans: "Unexpected target grain").
        Assert.Contains("no script it started is left running", brummer.Output, StringComparison.Ordinal);
        Assert.DoesNotContain("Unexpected target grain", brummer.Output, StringComparison.Ordinal);
    }
}
