using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Grains.Processes;
using Brummer.Grains.Status;
using Brummer.Tests;
using Microsoft.Extensions.Logging.Abstractions;

namespace Brummer.Grains.Tests;

/// <summary>A node's process machinery over scripts that run the dummy program directly (no package manager).</summary>
internal sealed class SupervisorHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _following;
    private readonly bool _ownsDirectory;

    /// <param name="shape">Adds to a script's definition (dependencies, probes, policies) by name.</param>
    public SupervisorHarness(
        IReadOnlyDictionary<string, string[]> scripts,
        ProcessOptions? options = null,
        string? executable = null,
        IReadOnlyDictionary<string, Func<ScriptDefinition, ScriptDefinition>>? shape = null)
        : this(Dummies(System.IO.Directory.CreateTempSubdirectory("brummer-sup-").FullName, scripts, executable, shape), options)
    {
        _ownsDirectory = true;
    }

    /// <summary>Over scripts as discovery defined them; their directory stays (its owner deletes it).</summary>
    public SupervisorHarness(ScriptCatalog catalog, ProcessOptions? options = null)
    {
        Directory = catalog.Directory;
        Catalog = catalog;
        Table = new NodeStatusTable("n1", "127.0.0.1:1", Catalog.Scripts.Select(s => new ScriptInfo("n1", s.Name, s.Command, s.Source)), TimeProvider.System);
        Processes = new NodeProcesses(Catalog, Table, options ?? new ProcessOptions { StopTimeout = TimeSpan.FromSeconds(1) }, TimeProvider.System, NullLoggerFactory.Instance);
        _following = Processes.FollowDependenciesAsync(_stopping.Token);
    }

    public string Directory { get; }

    private static ScriptCatalog Dummies(
        string directory,
        IReadOnlyDictionary<string, string[]> scripts,
        string? executable,
        IReadOnlyDictionary<string, Func<ScriptDefinition, ScriptDefinition>>? shape) =>
        new(directory, scripts.Select(s => new ScriptDefinition(
            s.Key,
            Dummy.Command(s.Value),
            executable ?? "dotnet",
            [Dummy.Dll, .. s.Value],
            directory,
            "test")).Select(d => shape?.GetValueOrDefault(d.Name) is { } change ? change(d) : d));

    public ScriptCatalog Catalog { get; }

    public NodeStatusTable Table { get; }

    public NodeProcesses Processes { get; }

    public string File(string name) => Path.Combine(Directory, name);

    public ProcessSupervisor this[string name] => Processes.TryGet(name, out var s) ? s : throw new KeyNotFoundException(name);

    /// <summary>Waits, on the table's change signal, until the script's published state satisfies <paramref name="done"/>.</summary>
    /// <remarks>
    /// One wait at a time, never left pending: the signal wakes a single consumer, so a wait abandoned by one call
    /// would swallow the wake-up the next call needs. A change between the check and the wait stays pending in the
    /// signal, so it is not missed. <paramref name="timeout"/>: <see cref="Eventually.DefaultTimeout"/> unless the
    /// caller bounds the wait another way (infinite: it watches progress itself).
    /// </remarks>
    public async Task<ProcessInfo> WaitForAsync(string name, Func<ProcessInfo, bool> done, string what, TimeSpan? timeout = null)
    {
        using var timeoutSource = new CancellationTokenSource(timeout ?? Eventually.DefaultTimeout);
        while (true)
        {
            if (Table.Get(name) is { } info && done(info))
            {
                return info;
            }

            try
            {
                await Table.WaitForChangeAsync(timeoutSource.Token);
            }
            catch (OperationCanceledException)
            {
                throw new TimeoutException($"Timed out waiting for {name} to be {what}; last: {Table.Get(name)}");
            }
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync();
        await _following;
        await Processes.StopAllAsync();
        _stopping.Dispose();
        if (!_ownsDirectory)
        {
            return;
        }

        try
        {
            System.IO.Directory.Delete(Directory, true);
        }
        catch (IOException)
        {
        }
    }
}
