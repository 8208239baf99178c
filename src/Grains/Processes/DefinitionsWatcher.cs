using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Brummer.Grains.Processes;

/// <summary>
/// Reloads the node's definitions when one of its files changes (brummer.yaml, package.json, env files): edits are
/// picked up without a restart. Bursts of events (an editor's save is several) coalesce into one reload.
/// </summary>
internal sealed class DefinitionsWatcher(NodeProcesses processes, DefinitionsReload reload, ILogger<DefinitionsWatcher> logger) : BackgroundService
{
    /// <summary>Quiet time after the last event before reloading.</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(300);

    private static readonly string[] AlwaysWatched = ["brummer.yaml", "brummer.yml", "package.json", "pnpm-workspace.yaml"];

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var directory = processes.Catalog.Directory;
        if (!Directory.Exists(directory))
        {
            return;
        }

        var signal = new SemaphoreSlim(0);
        using var watcher = new FileSystemWatcher(directory)
        {
            IncludeSubdirectories = true,
            NotifyFilter = NotifyFilters.FileName | NotifyFilters.LastWrite | NotifyFilters.Size | NotifyFilters.CreationTime,
        };
        void OnEvent(object sender, FileSystemEventArgs e)
        {
            if (Watched(e.FullPath) || (e is RenamedEventArgs renamed && Watched(renamed.OldFullPath)))
            {
                signal.Release();
            }
        }

        watcher.Changed += OnEvent;
        watcher.Created += OnEvent;
        watcher.Deleted += OnEvent;
        watcher.Renamed += OnEvent;
        watcher.Error += (_, e) => logger.LogWarning(e.GetException(), "Watching {Directory} for definition changes failed; `brummer reload` still works", directory);
        watcher.EnableRaisingEvents = true;
        try
        {
            while (!stoppingToken.IsCancellationRequested)
            {
                await signal.WaitAsync(stoppingToken).ConfigureAwait(false);
                while (await signal.WaitAsync(Settle, stoppingToken).ConfigureAwait(false))
                {
                    // more events of the same save
                }

                try
                {
                    await reload.ReloadAsync().WaitAsync(stoppingToken).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
                {
                    // An edit must never take the node down: it keeps running what it runs, and the next save tries again.
                    logger.LogError(ex, "Reloading the definitions of node {Node} after a file change failed", processes.Node);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        finally
        {
            signal.Dispose();
        }
    }

    private bool Watched(string path)
    {
        var name = Path.GetFileName(path);
        if (path.Contains($"{Path.DirectorySeparatorChar}node_modules{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
        {
            return false;
        }

        return AlwaysWatched.Contains(name, StringComparer.Ordinal) ||
            name.StartsWith(".env", StringComparison.Ordinal) ||
            processes.Catalog.Sources.Contains(Path.GetFullPath(path), StringComparer.Ordinal);
    }
}
