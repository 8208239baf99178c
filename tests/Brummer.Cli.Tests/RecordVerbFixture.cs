using System.Globalization;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>
/// One <c>brummer up</c> without tokens, so the CLI is named by its <c>user@host</c>; a teammate's calls come as
/// plain HTTP naming themselves <see cref="Teammate"/>.
/// </summary>
public sealed class RecordVerbFixture : IAsyncLifetime
{
    public const string Collection = "brummer up for the record verbs";

    public const string Teammate = "kim@other-box";

    private readonly StackDirectory _stack = new(new Dictionary<string, string>
    {
        ["web"] = Dummy.Command("say:web up", "sleep"),
        ["sleepy"] = Dummy.Command("say:sleepy up", "sleep"),
        ["api"] = Dummy.Command("say:api up", "sleep"),
        ["build"] = "if [ -f fixed ]; then echo 'build ok'; else " +
            "echo \"src/app.ts(7,7): error TS2322: Type 'string' is not assignable to type 'number'.\"; exit 3; fi",
    });

    private BrummerProcess? _brummer;

    /// <summary>Who the CLI says it is.</summary>
    public static string Me { get; } = $"{System.Environment.UserName}@{System.Environment.MachineName}";

    public StackDirectory Stack => _stack;

    public string Gateway { get; private set; } = string.Empty;

    public IReadOnlyDictionary<string, string> Environment => new Dictionary<string, string> { ["BRUMMER_GATEWAY"] = Gateway, ["BRUMMER_TOKEN"] = string.Empty };

    public HttpClient AsTeammate { get; private set; } = null!;

    public Task<(int ExitCode, string Output)> CliAsync(params string[] args) => BrummerProcess.RunAsync(Environment, args);

    public async ValueTask InitializeAsync()
    {
        var port = Silo.FreePort.Next().ToString(CultureInfo.InvariantCulture);
        _brummer = BrummerProcess.Start("up", "--dir", _stack.Path, "--port", port, "--node", "solo");
        await _brummer.McpUrlAsync();
        Gateway = $"http://127.0.0.1:{port}";
        AsTeammate = new HttpClient { BaseAddress = new Uri(Gateway) };
        AsTeammate.DefaultRequestHeaders.Add("X-Brummer-Actor", Teammate);
    }

    public async ValueTask DisposeAsync()
    {
        AsTeammate?.Dispose();
        if (_brummer is not null)
        {
            await _brummer.TerminateAsync();
            await _brummer.DisposeAsync();
        }

        _stack.Dispose();
    }
}

/// <summary>One <c>brummer up</c> shared by the classes that use the record verbs (they run one after another).</summary>
[CollectionDefinition(RecordVerbFixture.Collection)]
public sealed class RecordVerbGroup : ICollectionFixture<RecordVerbFixture>;
