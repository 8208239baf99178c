using System.Globalization;
using System.Net;
using System.Text.Json;
using System.Text.RegularExpressions;
using Brummer.Tests;
using Microsoft.Playwright;

namespace Brummer.Cli.Tests;

/// <summary>
/// The web dashboard at <c>/</c> in a real browser: Debian's headless Chromium driven by Playwright, against a real
/// <c>brummer up</c> running real processes. Playwright never downloads a browser here (no CDN): it is given the
/// system's executable, and the tests skip, saying so, only when that executable is absent.
/// </summary>
public sealed class DashboardTests
{
    private const string ChromiumPath = "/usr/bin/chromium";

    /// <summary>Generous: a page's change follows a process's within a second alone, but a busy 2-core machine is slow.</summary>
    private const float ExpectTimeoutMs = 90_000;

    private static readonly ViewportSize Viewport = new() { Width = 1440, Height = 900 };

    [Fact]
    public async Task Dashboard_RunOpenStop_FollowsStateAndOutputLiveWithoutReload()
    {
        RequireChromium();
        var go = Path.Combine(Path.GetTempPath(), $"brummer-dashboard-go-{Guid.NewGuid():n}");
        using var stack = new StackDirectory(new Dictionary<string, string>
        {
            ["api"] = Dummy.Command("say:api up", "sleep"),
            ["web"] = Dummy.Command("say:web listening", $"wait-file:{go}", "say:web second line", "sleep"),
        });
        await using var brummer = await StartAsync(stack);
        using var http = new HttpClient { BaseAddress = brummer.Gateway };
        await using var page = await Browser.OpenAsync(brummer.Gateway);

        try
        {
            // Served as a strict, uncached page.
            using var html = await http.GetAsync(new Uri("/", UriKind.Relative), TestContext.Current.CancellationToken);
            using var script = await http.GetAsync(new Uri("/dashboard/app.js", UriKind.Relative), TestContext.Current.CancellationToken);

            // Page loads: both scripts listed, not run.
            await Expect(Row(page.Page, "api").Locator(".state")).ToHaveTextAsync("not run");
            await Expect(Row(page.Page, "web").Locator(".state")).ToHaveTextAsync("not run");
            await page.Page.EvaluateAsync("() => { window.__sameDocument = 'yes'; }");

            // Run web: its row turns running, from the event stream (no reload), and the answer shows inline.
            await Row(page.Page, "web").Locator("button[data-action='run']").ClickAsync();
            await Expect(Row(page.Page, "web").Locator(".state")).ToHaveTextAsync("running");
            await Expect(Row(page.Page, "web").Locator(".outcome")).ToContainTextAsync("run: running (pid");
            await Expect(Row(page.Page, "web").Locator(".last-action")).ToContainTextAsync("run by dashboard"); // recorded as the page's action
            var webWhileShownRunning = await StatusAsync(http, "web");

            // Open it: its output, then a line it prints later.
            await Row(page.Page, "web").Locator("a.name").ClickAsync();
            await Expect(page.Page.Locator("#panel-title")).ToHaveTextAsync("web on solo");
            await Expect(page.Page.Locator("#log")).ToContainTextAsync("web listening");
            await File.WriteAllTextAsync(go, "go", TestContext.Current.CancellationToken);
            await Expect(page.Page.Locator("#log")).ToContainTextAsync("web second line");

            // Search its output.
            await page.Page.FillAsync("#search-query", "second");
            await page.Page.ClickAsync("#search-form button[type='submit']");
            await Expect(page.Page.Locator("#search-results")).ToContainTextAsync("web second line");
            await Expect(page.Page.Locator("#search-status")).ToContainTextAsync("1 matching line");

            // Stop: the row shows stopped.
            await Row(page.Page, "web").Locator("button[data-action='stop']").ClickAsync();
            await Expect(Row(page.Page, "web").Locator(".state")).ToHaveTextAsync("stopped");
            await Expect(page.Page.Locator("#panel-state")).ToHaveTextAsync("stopped");
            var webAfterShownStopped = await StatusAsync(http, "web");
            var sameDocument = await page.Page.EvaluateAsync<string?>("() => window.__sameDocument ?? null");

            Assert.Equal(HttpStatusCode.OK, html.StatusCode);
            Assert.Equal("text/html", html.Content.Headers.ContentType?.MediaType);
            Assert.Equal("no-cache", html.Headers.CacheControl?.ToString());
            Assert.Contains("default-src 'self'", html.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
            Assert.Equal(HttpStatusCode.OK, script.StatusCode);
            Assert.Equal("text/javascript", script.Content.Headers.ContentType?.MediaType);
            Assert.Equal("running", webWhileShownRunning);
            Assert.Equal("stopped", webAfterShownStopped);
            Assert.Equal("yes", sameDocument); // every change arrived without a reload
            Assert.Equal("not run", await Row(page.Page, "api").Locator(".state").TextContentAsync()); // only web was run
            Assert.Empty(page.Problems); // no script error, no refused request, no CSP violation
        }
        finally
        {
            File.Delete(go);
        }
    }

    [Fact]
    public async Task Dashboard_WithTokens_AsksForOne_HidesControlsFromReadOnly_AndOperateCanRun()
    {
        RequireChromium();
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = Dummy.Command("say:web listening", "sleep") });
        var tokens = stack.File("tokens.json");
        var viewer = await CreateTokenAsync(tokens, "viewer", "read");
        var ops = await CreateTokenAsync(tokens, "ops", "operate");
        await using var brummer = await StartAsync(stack, "--tokens", tokens);

        // A read-only token: the page asks for a token, refuses a wrong one, then shows the processes with no controls.
        await using (var reader = await Browser.OpenAsync(brummer.Gateway))
        {
            await Expect(reader.Page.Locator("#token-form")).ToBeVisibleAsync();
            await reader.Page.FillAsync("#token-input", "brm_not-a-token");
            await reader.Page.ClickAsync("#token-form button[type='submit']");
            await Expect(reader.Page.Locator("#token-error")).ToContainTextAsync("not valid");
            await reader.Page.FillAsync("#token-input", viewer);
            await reader.Page.ClickAsync("#token-form button[type='submit']");
            await Expect(Row(reader.Page, "web").Locator(".state")).ToHaveTextAsync("not run");
            await Expect(reader.Page.Locator("#who")).ToHaveTextAsync("viewer · read · read-only");
            await Expect(reader.Page.Locator("#connection")).ToHaveTextAsync("live"); // the event stream took the token
            await Expect(reader.Page.Locator("button[data-action]")).ToHaveCountAsync(0);
            await Row(reader.Page, "web").Locator("a.name").ClickAsync();
            await Expect(reader.Page.Locator("#panel-title")).ToHaveTextAsync("web on solo");
            await Expect(reader.Page.Locator("#panel-controls button")).ToHaveCountAsync(0);
            Assert.All(reader.Requests, url => Assert.DoesNotContain("brm_", url, StringComparison.Ordinal)); // never in a URL
        }

        // An operate token, in another browser context (the token is kept per tab): it may run, and the row follows.
        await using var operatorPage = await Browser.OpenAsync(brummer.Gateway);
        await Expect(operatorPage.Page.Locator("#token-form")).ToBeVisibleAsync();
        await operatorPage.Page.FillAsync("#token-input", ops);
        await operatorPage.Page.ClickAsync("#token-form button[type='submit']");
        await Expect(operatorPage.Page.Locator("#who")).ToHaveTextAsync("ops · operate");
        await Row(operatorPage.Page, "web").Locator("button[data-action='run']").ClickAsync();
        await Expect(Row(operatorPage.Page, "web").Locator(".state")).ToHaveTextAsync("running");

        Assert.All(operatorPage.Requests, url => Assert.DoesNotContain("brm_", url, StringComparison.Ordinal));
        Assert.Empty(operatorPage.Problems);
    }

    /// <summary>
    /// A stack as a team has it (a server with a URL, a dev server, a worker that fails with a stack trace, a job that
    /// succeeded, one not run), shown with the failing worker open: what docs/dashboard.png pictures. The picture is
    /// written to artifacts/dashboard.png; copy it to docs/ when the page changes.
    /// </summary>
    [Fact]
    public async Task Dashboard_RealisticStack_ShowsUrlsFailuresAndErrorBlocks()
    {
        RequireChromium();
        using var stack = new StackDirectory(new Dictionary<string, string>
        {
            ["api"] = Dummy.Command("say:api: connected to cache", "say:api listening on http://localhost:4000", "sleep"),
            ["web"] = Dummy.Command("say:  VITE v5.4.2  ready in 312 ms", "say:  -> Local:   http://localhost:5173/", "sleep"),
            ["worker"] = Dummy.Command(
                "say:worker: connecting to postgres",
                "err:Error: connect ECONNREFUSED 127.0.0.1:5432",
                "err:    at TCPConnectWrap.afterConnectMultiple (node:net:1611:16)",
                "err:    at Client._connectionCallback (/app/node_modules/pg/lib/client.js:132:9)",
                "err:    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)",
                "exit:1"),
            ["build"] = Dummy.Command("say:tsc: compiled 214 files", "exit:0"),
            ["db:seed"] = Dummy.Command("say:seeded", "exit:0"),
        });
        await using var brummer = await StartAsync(stack);
        using var http = new HttpClient { BaseAddress = brummer.Gateway };
        foreach (var name in new[] { "api", "web", "worker", "build" })
        {
            using var run = await http.PostAsync(new Uri($"/api/processes/solo/{name}/run", UriKind.Relative), null, TestContext.Current.CancellationToken);
            Assert.True(run.IsSuccessStatusCode, $"run {name}: {(int)run.StatusCode} {await run.Content.ReadAsStringAsync(TestContext.Current.CancellationToken)}");
        }

        await Eventually.UntilAsync(
            () => http.GetStringAsync(new Uri("/api/processes", UriKind.Relative), TestContext.Current.CancellationToken),
            json => Process(json, "worker") is { } w && w.GetProperty("status").GetString() == "failed" && w.GetProperty("error_count").GetInt32() > 0 &&
                    Process(json, "build")?.GetProperty("status").GetString() == "succeeded" &&
                    Process(json, "web")?.GetProperty("urls").GetArrayLength() > 0 && Process(json, "api")?.GetProperty("urls").GetArrayLength() > 0,
            "worker failed with its error detected, build succeeded, api and web announced their URLs");
        await using var page = await Browser.OpenAsync(brummer.Gateway);

        await Expect(Row(page.Page, "worker").Locator(".state")).ToHaveTextAsync("failed");
        await Expect(Row(page.Page, "worker").Locator(".error-count.has-errors")).ToHaveTextAsync("1");
        await Expect(Row(page.Page, "build").Locator(".state")).ToHaveTextAsync("succeeded");
        await Expect(Row(page.Page, "db:seed").Locator(".state")).ToHaveTextAsync("not run");
        await Expect(Row(page.Page, "web").Locator(".urls a")).ToHaveAttributeAsync("href", new Regex("^http://localhost:5173/?$"));
        await Expect(Row(page.Page, "api").Locator(".urls a")).ToHaveAttributeAsync("href", new Regex("^http://localhost:4000/?$"));
        await Expect(Row(page.Page, "api").Locator(".last-action")).ToContainTextAsync("run by");
        await Expect(page.Page.Locator(".node[data-node='solo']")).ToContainTextAsync("up");
        await Row(page.Page, "worker").Locator("a.name").ClickAsync();
        await Expect(page.Page.Locator("#errors .error-block")).ToHaveCountAsync(1);
        await Expect(page.Page.Locator("#errors .error-block pre")).ToContainTextAsync("at Client._connectionCallback");
        await Expect(page.Page.Locator("#log")).ToContainTextAsync("Error: connect ECONNREFUSED 127.0.0.1:5432");
        var screenshot = Path.Combine(RepositoryRoot(), "artifacts", "dashboard.png");
        Directory.CreateDirectory(Path.GetDirectoryName(screenshot)!);
        await page.Page.ScreenshotAsync(new PageScreenshotOptions { Path = screenshot, FullPage = true });

        Assert.True(new FileInfo(screenshot).Length > 10_000, $"{screenshot} is too small to show the page");
        Assert.Empty(page.Problems);
    }

    private static void RequireChromium()
    {
        if (!File.Exists(ChromiumPath))
        {
            Assert.Skip($"Chromium is not installed ({ChromiumPath}); `apt-get install -y chromium` to run the browser tests (.ci/run does).");
        }
    }

    private static ILocatorAssertions Expect(ILocator locator)
    {
        Assertions.SetDefaultExpectTimeout(ExpectTimeoutMs);
        return Assertions.Expect(locator);
    }

    private static ILocator Row(IPage page, string name) => page.Locator($"#processes tbody tr[data-name='{name}']");

    private static JsonElement? Process(string statusJson, string name) =>
        JsonDocument.Parse(statusJson).RootElement.GetProperty("processes").EnumerateArray().Where(p => p.GetProperty("name").GetString() == name).Select(p => (JsonElement?)p).FirstOrDefault();

    private static async Task<string?> StatusAsync(HttpClient http, string name) =>
        Process(await http.GetStringAsync(new Uri("/api/processes", UriKind.Relative), TestContext.Current.CancellationToken), name)?.GetProperty("status").GetString();

    private static async Task<string> CreateTokenAsync(string file, string name, string role)
    {
        var (exitCode, output) = await BrummerProcess.RunAsync("token", "create", name, "--role", role, "--tokens", file);
        Assert.True(exitCode == 0, output);
        return output.Split('\n').Select(l => l.Trim()).Single(l => l.StartsWith("brm_", StringComparison.Ordinal));
    }

    private static async Task<UpProcess> StartAsync(StackDirectory stack, params string[] extra)
    {
        var port = Silo.FreePort.Next();
        var brummer = BrummerProcess.Start(["up", "--dir", stack.Path, "--port", port.ToString(CultureInfo.InvariantCulture), "--node", "solo", "--stop-timeout", "2", .. extra]);
        try
        {
            await brummer.McpUrlAsync();
            await brummer.WaitForOutputAsync($"Web:  http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"); // where the banner says the dashboard is
        }
        catch
        {
            await brummer.DisposeAsync();
            throw;
        }

        return new UpProcess(brummer, new Uri($"http://127.0.0.1:{port.ToString(CultureInfo.InvariantCulture)}/"));
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Brummer.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException($"no Brummer.sln above {AppContext.BaseDirectory}");
    }

    private sealed class UpProcess(BrummerProcess process, Uri gateway) : IAsyncDisposable
    {
        public Uri Gateway { get; } = gateway;

        public ValueTask DisposeAsync() => process.DisposeAsync();
    }

    /// <summary>
    /// A page of its own browser (a fresh profile: no token kept from another test), with what went wrong on it: script
    /// errors, console errors (CSP violations are reported there) and failed requests; and every URL it asked for.
    /// </summary>
    private sealed class Browser : IAsyncDisposable
    {
        private readonly IPlaywright _playwright;
        private readonly IBrowser _browser;
        private readonly List<string> _problems = [];
        private readonly List<string> _requests = [];

        private Browser(IPlaywright playwright, IBrowser browser, IPage page)
        {
            _playwright = playwright;
            _browser = browser;
            Page = page;
            page.PageError += (_, error) => Add(_problems, $"page error: {error}");
            page.Console += (_, message) =>
            {
                // A 401 is how the page learns that the gateway wants a token: Chromium logs it, it is no fault.
                if (message.Type == "error" && !message.Text.Contains("status of 401", StringComparison.Ordinal))
                {
                    Add(_problems, $"console: {message.Text}");
                }
            };
            page.Request += (_, request) => Add(_requests, request.Url);
            page.RequestFailed += (_, request) =>
            {
                // The event stream is cut when the page closes; anything else failing is a problem.
                if (!request.Url.EndsWith("/api/events", StringComparison.Ordinal))
                {
                    Add(_problems, $"request failed: {request.Method} {request.Url} ({request.Failure})");
                }
            };
        }

        public IPage Page { get; }

        public IReadOnlyList<string> Problems => Snapshot(_problems);

        public IReadOnlyList<string> Requests => Snapshot(_requests);

        public static async Task<Browser> OpenAsync(Uri gateway)
        {
            // Playwright would fetch its own browser build from a CDN that is not reachable here: it gets Debian's.
            Environment.SetEnvironmentVariable("PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD", "1");
            var playwright = await Playwright.CreateAsync();
            try
            {
                var browser = await playwright.Chromium.LaunchAsync(new() { ExecutablePath = ChromiumPath, Headless = true });
                var page = await browser.NewPageAsync(new() { ViewportSize = Viewport });
                page.SetDefaultTimeout(ExpectTimeoutMs); // clicks wait for their element as long as expectations do
                var opened = new Browser(playwright, browser, page);
                await page.GotoAsync(gateway.ToString(), new() { Timeout = ExpectTimeoutMs });
                return opened;
            }
            catch
            {
                playwright.Dispose();
                throw;
            }
        }

        private static void Add(List<string> list, string text)
        {
            lock (list)
            {
                list.Add(text);
            }
        }

        private static List<string> Snapshot(List<string> list)
        {
            lock (list)
            {
                return [.. list];
            }
        }

        public async ValueTask DisposeAsync()
        {
            await _browser.CloseAsync();
            _playwright.Dispose();
        }
    }
}
