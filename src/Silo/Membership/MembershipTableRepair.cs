using System.Reflection;
using System.Threading.Channels;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Orleans.Runtime;

namespace Brummer.Silo.Membership;

/// <summary>
/// Puts the membership table back when its store loses it (Redis restarted without persistence, FLUSHALL, the
/// PostgreSQL tables truncated). Orleans never does: with the version row gone every read of the table fails, so no
/// node can vote another dead (a killed node stays active), and once anything re-creates an empty table, clients find
/// no gateway in it (a new gateway waits forever, a running one drops its connections). docs/architecture.md has the
/// whole mechanism.
/// <para>
/// Every check (each <see cref="MembershipRepairOptions.CheckInterval"/>, and after every membership change) reads the
/// table. A healthy read is kept as the last good one. When the table is gone, lacks this node, or is older than what
/// this node has seen, the node restores it: re-creates the version row, re-inserts every row of its last good read
/// that is missing, exactly as it was (a dead node stays dead), then moves the version past what it has seen, because
/// Orleans ignores a table older than its own view. Every write is conditional on the table's version, so nodes
/// repairing at once only retry, and none overwrites a row another has put back.
/// </para>
/// </summary>
internal sealed class MembershipTableRepair(
    IMembershipTable store,
    IClusterMembershipService membership,
    ISiloStatusOracle silo,
    ILocalSiloDetails localSilo,
    MembershipStoreHealth health,
    IOptions<MembershipRepairOptions> options,
    TimeProvider time,
    ILogger<MembershipTableRepair> logger) : BackgroundService
{
    // Each write moves the version by one: this bounds one check's work when a long-lived cluster's version is high.
    private const int MaxWritesPerCheck = 2_000;

    // Writes lost in a row before this check gives up for now: each loss is another node's progress, so a node that
    // keeps losing leaves the rest to the others (or to its next check) instead of spinning on the store.
    private const int MaxLostWritesInARow = 100;

    private MembershipTableData? _lastGood;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var interval = options.Value.CheckInterval;
        var changes = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });
        _ = WatchMembershipAsync(changes.Writer, stoppingToken);
        Task<bool>? changed = null; // kept across timeouts: one waiter, not one more per check
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await CheckAsync(stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                logger.LogDebug(ex, "Checking the membership table failed; retrying in {Interval}", interval);
                Report($"the membership store cannot be used: {Describe(ex)}");
            }

            try
            {
                changed ??= changes.Reader.WaitToReadAsync(stoppingToken).AsTask();
                await changed.WaitAsync(interval, time, stoppingToken);
                changed = null;
                changes.Reader.TryRead(out _);
            }
            catch (TimeoutException)
            {
                // No membership change: the periodic check.
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Wakes the check on every membership change, so the last good read follows joins closely: a node that joined
    /// just before the store lost its data is then restored with the others instead of waiting for its own check.
    /// </summary>
    private async Task WatchMembershipAsync(ChannelWriter<bool> changes, CancellationToken cancellationToken)
    {
        try
        {
            await foreach (var _ in membership.MembershipUpdates.WithCancellation(cancellationToken))
            {
                changes.TryWrite(true);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Stopping; the periodic check goes on until then anyway.
            logger.LogDebug(ex, "Membership updates ended");
        }
    }

    private async Task CheckAsync(CancellationToken cancellationToken)
    {
        var table = await ReadAsync(cancellationToken);
        // Joining: Orleans inserts this node's row itself. Shutting down: the row is Orleans' to retire.
        if (table is null || silo.CurrentStatus != SiloStatus.Active)
        {
            return;
        }

        var seen = SeenVersion();
        if (table.TryGet(silo.SiloAddress) is null)
        {
            Report("the membership store lost its data (emptied, restarted without persistence, or truncated); the nodes are putting it back");
        }
        else if (table.Version.Version < seen)
        {
            Report($"the membership table was reset (version {table.Version.Version}, this node has seen {seen}); the nodes are putting it back");
        }
        else
        {
            _lastGood = table;
            Report(null);
            await CatchUpAsync(table, cancellationToken);
            return;
        }

        await RepairAsync(table, seen, cancellationToken);
    }

    /// <summary>Reads the table, re-creating its version row if the read fails; null (and degraded) if the store cannot be read.</summary>
    private async Task<MembershipTableData?> ReadAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await store.ReadAllAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            // Said at once: when the store is down, the attempt below waits out the client's timeout a second time.
            logger.LogDebug(ex, "Reading the membership table failed; re-creating its version row if it is missing");
            Report($"the membership store cannot be read: {Describe(ex)}");
        }

        try
        {
            // Both providers fail as above when the version row is gone (Redis: "version is missing"; ADO.NET: no row
            // at all). Initializing creates the row only if it is missing, so it is safe whatever the cause was.
            await store.InitializeMembershipTableAsync(tryInitTableVersion: true, cancellationToken);
            return await store.ReadAllAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException and not OutOfMemoryException)
        {
            logger.LogDebug(ex, "The membership store cannot be read");
            return null;
        }
    }

    private async Task RepairAsync(MembershipTableData table, long seen, CancellationToken cancellationToken)
    {
        var started = time.GetTimestamp();
        var restored = 0;
        var lost = 0;
        for (var writes = 0; writes < MaxWritesPerCheck && lost < MaxLostWritesInARow && silo.CurrentStatus == SiloStatus.Active; writes++)
        {
            var next = table.Version.Next();
            bool won;
            if (Missing(table) is { } missing)
            {
                won = await store.InsertRowAsync(missing, next, cancellationToken);
                restored += won ? 1 : 0;
            }
            else if (Revived(table) is { } revived)
            {
                // Only a node paused through its own death and the reset can be alive here: it must not come back.
                revived.Item1.Status = SiloStatus.Dead;
                won = await store.UpdateRowAsync(revived.Item1, revived.Item2, next, cancellationToken);
            }
            else if (table.Version.Version <= seen)
            {
                // A table newer than a node's view but without that node's row makes the node declare itself dead
                // and stop: wait until every node this one holds alive is back in it (each restores its own row).
                var absent = membership.CurrentSnapshot.Members.Values
                    .Where(m => m.Status is not (SiloStatus.Dead or SiloStatus.ShuttingDown or SiloStatus.Stopping) && table.TryGet(m.SiloAddress) is null)
                    .Select(m => m.Name)
                    .ToList();
                if (absent.Count > 0)
                {
                    Report($"waiting for node(s) {string.Join(", ", absent)} to re-register in the membership store");
                    return;
                }

                var (mine, etag) = table.TryGet(silo.SiloAddress)!;
                mine.IAmAliveTime = time.GetUtcNow().UtcDateTime;
                won = await store.UpdateRowAsync(mine, etag, next, cancellationToken);
            }
            else
            {
                _lastGood = table;
                Report(null);
                logger.LogWarning(
                    "The membership table is whole again after {Elapsed:0} ms: {Restored} row(s) put back by this node, version now {Version}",
                    time.GetElapsedTime(started).TotalMilliseconds, restored, table.Version.Version);
                await CatchUpAsync(table, cancellationToken);
                return;
            }

            // Whether that write won or lost a race with another node, the table has moved on: read it again.
            lost = won ? 0 : lost + 1;
            table = await store.ReadAllAsync(cancellationToken);
        }
    }

    /// <summary>A row this node knows (its own, or one of its last good read) that the table lacks, ready to insert.</summary>
    private MembershipEntry? Missing(MembershipTableData table)
    {
        if (table.TryGet(silo.SiloAddress) is null)
        {
            var mine = _lastGood?.TryGet(silo.SiloAddress)?.Item1 is { } known ? Copy(known) : DescribeSelf();
            mine.Status = SiloStatus.Active;
            mine.IAmAliveTime = time.GetUtcNow().UtcDateTime;
            return mine;
        }

        return _lastGood?.Members.Select(m => m.Item1).FirstOrDefault(m => table.TryGet(m.SiloAddress) is null) is { } other
            ? Copy(other)
            : null;
    }

    /// <summary>A row the table holds alive although this node knows that silo is dead.</summary>
    private Tuple<MembershipEntry, string>? Revived(MembershipTableData table)
    {
        var view = membership.CurrentSnapshot;
        return table.Members.FirstOrDefault(row =>
            row.Item1.Status != SiloStatus.Dead &&
            (view.GetSiloStatus(row.Item1.SiloAddress) == SiloStatus.Dead ||
             _lastGood?.TryGet(row.Item1.SiloAddress)?.Item1.Status == SiloStatus.Dead));
    }

    /// <summary>The highest table version this node has seen, through its own reads or its membership view.</summary>
    private long SeenVersion() => Math.Max(membership.CurrentSnapshot.Version.Value, _lastGood?.Version.Version ?? long.MinValue);

    /// <summary>
    /// Makes this node's membership view read a table newer than it at once: after a failed period Orleans backs off its
    /// own refresh for up to a minute, and a repair by another node is not announced.
    /// </summary>
    private async Task CatchUpAsync(MembershipTableData table, CancellationToken cancellationToken)
    {
        // Version 0 is how Orleans reads a table just created; the refresh would wait for a version it never shows.
        var version = table.Version.Version;
        if (version <= 0 || version <= membership.CurrentSnapshot.Version.Value)
        {
            return;
        }

        using var bounded = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        bounded.CancelAfter(options.Value.CheckInterval);
        try
        {
            await membership.Refresh(new MembershipVersion(version), bounded.Token);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException && !cancellationToken.IsCancellationRequested)
        {
            logger.LogDebug(ex, "Refreshing the membership view to version {Version} did not complete; the next check retries", version);
        }
    }

    private void Report(string? degraded)
    {
        var previous = health.Set(degraded);
        if (degraded is not null && !string.Equals(previous, degraded, StringComparison.Ordinal))
        {
            logger.LogWarning("Membership is degraded: {Reason}", degraded);
        }
        else if (degraded is null && previous is not null)
        {
            logger.LogInformation("Membership is healthy again");
        }
    }

    /// <summary>This node's row as Orleans writes it when it joins, for a node whose own row was never read back.</summary>
    private MembershipEntry DescribeSelf() => new()
    {
        SiloAddress = localSilo.SiloAddress,
        SiloName = localSilo.Name,
        HostName = localSilo.DnsHostName,
        ProxyPort = localSilo.GatewayAddress?.Endpoint.Port ?? 0,
        RoleName = Assembly.GetEntryAssembly()?.GetName().Name,
        SuspectTimes = [],
        StartTime = time.GetUtcNow().UtcDateTime,
    };

    // MembershipEntry.Copy is internal; the last good read must stay as it was read.
    private static MembershipEntry Copy(MembershipEntry entry) => new()
    {
        SiloAddress = entry.SiloAddress,
        Status = entry.Status,
        SuspectTimes = entry.SuspectTimes is null ? null : [.. entry.SuspectTimes],
        ProxyPort = entry.ProxyPort,
        HostName = entry.HostName,
        SiloName = entry.SiloName,
        RoleName = entry.RoleName,
        UpdateZone = entry.UpdateZone,
        FaultZone = entry.FaultZone,
        StartTime = entry.StartTime,
        IAmAliveTime = entry.IAmAliveTime,
    };

    // One line, bounded: it reaches gateways and users. Neither client puts credentials in its messages.
    private static string Describe(Exception ex)
    {
        var line = ex.Message.AsSpan();
        var end = line.IndexOfAny('\r', '\n');
        line = end >= 0 ? line[..end] : line;
        return line.Length > 200 ? $"{line[..200]}…" : line.ToString();
    }
}
