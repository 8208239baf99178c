using System.Diagnostics;
using System.Net;
using Brummer.Cli;
using Brummer.Tests;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Brummer.Gateway.Tests;

/// <summary>
/// Cheap reads must never queue behind expensive ones: scripts_status answers while agents saturate the gateway with
/// searches that each cost the node its whole budget. Its own <c>brummer up</c>, run alone after the parallel tests,
/// so the searches slow no other test and no other test adds to the queue.
/// </summary>
[Collection(SearchContentionGroup.Name)]
public sealed class SearchContentionTests(ITestOutputHelper output)
{
    private const int Searchers = 16;
    private const int StatusCalls = 3;

    /// <summary>Nested quantifiers: on a line of words that does not end in a word character, it backtracks through every way of splitting them.</summary>
    private const string Catastrophic = @"^(\w+\s?)+$";

    /// <summary>
    /// Far more splittings than the node's 250 ms per-line limit can try; 20 such lines take more than a search's
    /// 2 s budget, so every search costs the node that budget (or the gateway its call timeout) on any machine.
    /// </summary>
    private const string Words = "queue worker finished processing the nightly batch for tenant acme in good order!";

    private const int WordLines = 20;

    /// <summary>
    /// Asked while 16 searches are in flight, scripts_status must not wait for them: it answers before most of the
    /// searches that were already waiting when it was asked have answered. This counts searches, not milliseconds:
    /// behind one shared queue (first come, first served, a few at a time) status could only be served once every
    /// search queued ahead of it had been let through, i.e. after all but a few of those searches had answered,
    /// however fast or busy the machine; with a lane of its own it answers while they still run (a search takes
    /// seconds by its budget; it would take more than half of them finishing while a status read is served).
    /// </summary>
    [Fact]
    public async Task ScriptsStatus_16ClientsLoopingACatastrophicSearch_AnswersBeforeTheSearchesWaitingAheadOfIt()
    {
        var ct = TestContext.Current.CancellationToken;
        using var stack = new StackDirectory(new Dictionary<string, string>
        {
            ["words"] = Dummy.Command([.. Enumerable.Repeat("say:" + Words, WordLines), "sleep"]),
        });
        var app = EmbeddedCluster.Build(new UpOptions(stack.Path, "node-a", 0, IPAddress.Loopback, TimeSpan.FromSeconds(1)));
        var mcp = new Uri(await EmbeddedCluster.StartAsync(app, ct), "/mcp");
        var clients = new List<McpClient>();
        SearchLoops? searches = null;
        try
        {
            var status = await McpCalls.ConnectAsync(mcp);
            clients.Add(status);
            await status.CallAsync("scripts_run", new { name = "words" });
            await Eventually.UntilAsync(
                async () => (await status.CallAsync("logs_tail", new { name = "words" })).GetProperty("lines").GetArrayLength(),
                lines => lines >= WordLines,
                $"the {WordLines} lines of words");
            for (var i = 0; i < Searchers; i++)
            {
                clients.Add(await McpCalls.ConnectAsync(mcp));
            }

            // Every searcher has had an answer: all 16 loop, and whatever queues the gateway has are in their steady state.
            searches = new SearchLoops(clients.Skip(1).ToList(), Catastrophic);
            await Eventually.UntilAsync(() => searches.EverySearcherAnswered, "every searcher's first answer", TimeSpan.FromMinutes(2));

            for (var call = 0; call < StatusCalls; call++)
            {
                var before = searches.Snapshot();
                var waiting = Enumerable.Range(0, Searchers).Where(i => before[i].Asked > before[i].Answered).ToList();
                Assert.True(waiting.Count >= Searchers - 2, $"only {waiting.Count} of {Searchers} searches were in flight: the gateway was not saturated");

                var asked = Stopwatch.StartNew();
                var answer = await status.CallRawAsync("scripts_status");
                var took = asked.Elapsed;
                var after = searches.Snapshot();
                var finished = waiting.Count(i => after[i].Answered > before[i].Answered);
                output.WriteLine($"scripts_status #{call + 1}: {took.TotalMilliseconds:0} ms; meanwhile {finished} of the {waiting.Count} searches already in flight answered");

                Assert.True(answer.IsError is not true, McpCalls.Text(answer));
                var words = Assert.Single(McpCalls.Structured(answer).GetProperty("processes").EnumerateArray());
                Assert.Equal("running", words.GetProperty("status").GetString());
                Assert.True(
                    finished <= waiting.Count / 2,
                    $"scripts_status answered only after {finished} of the {waiting.Count} searches in flight when it was asked had answered ({took.TotalSeconds:0.0} s): it waited behind them");
            }

            // The searches were what the test says: every one cost the node its budget or the gateway its patience.
            var answers = await searches.StopAsync();
            Assert.NotEmpty(answers);
            Assert.All(answers, a => Assert.True(a.Error is null && (a.Truncated || a.Unreachable), a.ToString()));
        }
        finally
        {
            if (searches is not null)
            {
                await searches.DisposeAsync();
            }

            foreach (var client in clients)
            {
                await client.DisposeAsync();
            }

            await app.StopAsync(CancellationToken.None);
            await app.DisposeAsync();
        }
    }

    /// <summary>One loop per client: the next logs_search as soon as the previous one answers; counts kept per loop.</summary>
    private sealed class SearchLoops : IAsyncDisposable
    {
        private readonly CancellationTokenSource _stop = new();
        private readonly long[] _asked;
        private readonly long[] _answered;
        private readonly List<SearchAnswer> _answers = [];
        private readonly Task[] _loops;

        public SearchLoops(IReadOnlyList<McpClient> clients, string pattern)
        {
            _asked = new long[clients.Count];
            _answered = new long[clients.Count];
            _loops = [.. clients.Select((client, i) => Task.Run(() => LoopAsync(client, i, pattern), CancellationToken.None))];
        }

        public bool EverySearcherAnswered => Snapshot().All(s => s.Answered > 0);

        /// <summary>Per loop: searches asked and searches answered so far (asked − answered = 1 while one is in flight).</summary>
        public (long Asked, long Answered)[] Snapshot()
        {
            var snapshot = new (long Asked, long Answered)[_asked.Length];
            for (var i = 0; i < snapshot.Length; i++)
            {
                // Answered first: a search answered and asked again between the two reads shows as in flight, as it is.
                var answered = Interlocked.Read(ref _answered[i]);
                snapshot[i] = (Interlocked.Read(ref _asked[i]), answered);
            }

            return snapshot;
        }

        /// <summary>Stops the loops (searches in flight are cancelled) and returns every answer they had.</summary>
        public async Task<IReadOnlyList<SearchAnswer>> StopAsync()
        {
            await _stop.CancelAsync();
            await Task.WhenAll(_loops);
            lock (_answers)
            {
                return [.. _answers];
            }
        }

        public async ValueTask DisposeAsync()
        {
            await StopAsync();
            _stop.Dispose();
        }

        private async Task LoopAsync(McpClient client, int i, string pattern)
        {
            while (!_stop.IsCancellationRequested)
            {
                Interlocked.Increment(ref _asked[i]);
                SearchAnswer answer;
                try
                {
                    var result = await client.CallToolAsync(
                        "logs_search", new Dictionary<string, object?> { ["query"] = pattern, ["regex"] = true }, cancellationToken: _stop.Token);
                    var found = result.IsError is true ? default : McpCalls.Structured(result);
                    answer = result.IsError is true
                        ? new SearchAnswer(false, false, McpCalls.Text(result))
                        : new SearchAnswer(found.GetProperty("truncated").GetBoolean(), found.GetProperty("unreachable_nodes").GetArrayLength() > 0, null);
                }
                catch (OperationCanceledException) when (_stop.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex) when (ex is HttpRequestException or ModelContextProtocol.McpException or System.Text.Json.JsonException or KeyNotFoundException)
                {
                    // Kept as an answer the test fails on, not as a fault that would hide why.
                    answer = new SearchAnswer(false, false, $"{ex.GetType().Name}: {ex.Message}");
                }

                lock (_answers)
                {
                    _answers.Add(answer);
                }

                Interlocked.Increment(ref _answered[i]);
            }
        }
    }

    private sealed record SearchAnswer(bool Truncated, bool Unreachable, string? Error);
}

/// <summary>The search contention test runs alone, after the parallel tests: its searches take the node's CPU for seconds.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SearchContentionGroup
{
    public const string Name = "search contention";
}
