using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Processes;

/// <summary>Reads the node's definition files again.</summary>
public delegate ScriptCatalog DefinitionsReader();

/// <summary>
/// Applies the node's definition files as they are now (on request or when they change), one reload at a time. A file
/// that does not parse keeps the previous definitions: the error goes to the log, the node's status and the answer.
/// </summary>
/// <remarks>
/// Requests that arrive while a reload waits to begin share it (a burst of saves or of callers costs one reload);
/// one that arrives after it began reading gets the next, since the files may have changed since. A reload, once
/// begun, runs to the end whoever stops waiting for it: half-applied definitions would be worse.
/// </remarks>
public sealed class DefinitionsReload(NodeProcesses processes, DefinitionsReader read, ILogger<DefinitionsReload> logger) : IDisposable
{
    private readonly SemaphoreSlim _one = new(1, 1);
    private readonly Lock _gate = new();
    private Task<ReloadResult>? _queued;

    public Task<ReloadResult> ReloadAsync()
    {
        lock (_gate)
        {
            return _queued ??= Task.Run(RunQueuedAsync);
        }
    }

    private async Task<ReloadResult> RunQueuedAsync()
    {
        await _one.WaitAsync().ConfigureAwait(false);
        lock (_gate)
        {
            _queued = null;
        }

        try
        {
            ScriptCatalog next;
            try
            {
                next = read();
            }
            catch (ScriptDiscoveryException ex)
            {
                return Refuse(ex.Message);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                // A reader fault (a parser bug on odd input, a file system error): the node keeps what it runs all the same.
                logger.LogError(ex, "Reading the definitions of node {Node} failed unexpectedly", processes.Node);
                return Refuse($"{processes.Catalog.Directory}: the definition files could not be read: {ex.Message}");
            }

            var changes = await processes.ApplyAsync(next, CancellationToken.None).ConfigureAwait(false);
            logger.LogInformation(
                "Reloaded the definitions of node {Node}: {Added} added, {Removed} removed, {Changed} changed ({Restarted} restarted, {Held} claimed and left running)",
                processes.Node, changes.Added.Length, changes.Removed.Length, changes.Changed.Length, changes.Restarted.Length, changes.Held.Length);
            return new ReloadResult(processes.Node, changes.Added, changes.Removed, changes.Changed, changes.Restarted, Held: [.. changes.Held]);
        }
        finally
        {
            _one.Release();
        }
    }

    private ReloadResult Refuse(string error)
    {
        logger.LogWarning("Definitions of node {Node} not reloaded; still running the previous ones: {Error}", processes.Node, error);
        processes.Refused(error);
        return new ReloadResult(processes.Node, [], [], [], [], error);
    }

    public void Dispose() => _one.Dispose();
}
