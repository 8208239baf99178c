using System.Buffers;
using System.IO.Pipelines;

namespace Brummer.Clustering.Tls;

/// <summary>
/// A connection's pipe that notes whether the peer sent anything and whether the peer ended the connection before it
/// did. Once the first bytes arrive (<paramref name="received"/> is called then) there is nothing left to note, and
/// reads go straight to the inner pipe.
/// </summary>
internal sealed class ObservedPipe(IDuplexPipe inner, Action? received = null) : IDuplexPipe
{
    private readonly ObservedReader _input = new(inner.Input, received);

    public IDuplexPipe Inner => inner;

    public PipeReader Input => _input;

    public PipeWriter Output => inner.Output;

    /// <summary>The peer sent at least one byte.</summary>
    public bool Received => _input.FirstByte is not null;

    /// <summary>The first byte the peer sent, if any: tells a TLS record from anything else.</summary>
    public byte? FirstByte => _input.FirstByte;

    /// <summary>The peer closed or reset the connection (not this side aborting or cancelling it).</summary>
    public bool PeerEnded => _input.PeerEnded;

    private sealed class ObservedReader(PipeReader inner, Action? received) : PipeReader
    {
        public byte? FirstByte { get; private set; }

        public bool PeerEnded { get; private set; }

        public override void AdvanceTo(SequencePosition consumed) => inner.AdvanceTo(consumed);

        public override void AdvanceTo(SequencePosition consumed, SequencePosition examined) => inner.AdvanceTo(consumed, examined);

        public override void CancelPendingRead() => inner.CancelPendingRead();

        public override void Complete(Exception? exception = null) => inner.Complete(exception);

        public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default) =>
            FirstByte is not null ? inner.ReadAsync(cancellationToken) : ObserveAsync(cancellationToken);

        public override bool TryRead(out ReadResult result)
        {
            if (!inner.TryRead(out result))
            {
                return false;
            }

            Note(result);
            return true;
        }

        private async ValueTask<ReadResult> ObserveAsync(CancellationToken cancellationToken)
        {
            try
            {
                return Note(await inner.ReadAsync(cancellationToken));
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A reset, or a TLS alert read as an error: the peer's doing. Aborts (ConnectionAbortedException is an
                // OperationCanceledException) and cancellations are this side's.
                PeerEnded = true;
                throw;
            }
        }

        private ReadResult Note(ReadResult result)
        {
            if (FirstByte is null && new SequenceReader<byte>(result.Buffer).TryPeek(out var first))
            {
                FirstByte = first;
                received?.Invoke();
            }

            PeerEnded |= result.IsCompleted && !result.IsCanceled && result.Buffer.IsEmpty;
            return result;
        }
    }
}
