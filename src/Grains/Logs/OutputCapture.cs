using System.Buffers;
using CliWrap;

namespace Brummer.Grains.Logs;

/// <summary>
/// A CliWrap pipe target that turns a process's stdout or stderr into lines in constant memory: it reads the pipe in
/// chunks of <see cref="ChunkBytes"/> and feeds an <see cref="OutputLineSplitter"/>, so neither a flood of output
/// nor one endless line is ever held whole (CliWrap's <c>PipeTarget.ToDelegate</c> builds each line without a bound).
/// The loop runs on <see cref="OutputScheduler.Shared"/>, below the priority of status and control requests.
/// </summary>
/// <param name="maxLineBytes">Bytes of one line kept; the rest is replaced by a truncation marker.</param>
/// <param name="sink">Receives each line on the capture loop's thread; it must not block for long, since the process
/// stalls on a full pipe meanwhile.</param>
/// <param name="truncated">Told of each line cut at <paramref name="maxLineBytes"/>.</param>
public sealed class OutputCapture(int maxLineBytes, LineSink sink, Action? truncated = null) : PipeTarget
{
    /// <summary>Bytes read per call: a Linux pipe's default capacity, so one read usually drains the pipe.</summary>
    public const int ChunkBytes = 64 * 1024;

    public override Task CopyFromAsync(Stream origin, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(origin);
        return OutputScheduler.Shared.Run(() => CopyAsync(origin, cancellationToken));
    }

    private async Task CopyAsync(Stream origin, CancellationToken cancellationToken)
    {
        var splitter = new OutputLineSplitter(maxLineBytes, sink, truncated);
        var chunk = ArrayPool<byte>.Shared.Rent(ChunkBytes);
        try
        {
            int read;
            // ConfigureAwait(true): the loop must resume on the output threads, not on the thread pool.
            while ((read = await origin.ReadAsync(chunk.AsMemory(0, ChunkBytes), cancellationToken).ConfigureAwait(true)) > 0)
            {
                splitter.Push(chunk.AsSpan(0, read));
            }
        }
        finally
        {
            // Also when abandoned: the partial last line is bounded and may be the one that explains the end.
            splitter.Complete();
            ArrayPool<byte>.Shared.Return(chunk);
        }
    }
}
