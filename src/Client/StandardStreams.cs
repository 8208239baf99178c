using System.Runtime.InteropServices;

namespace Brummer.Client;

/// <summary>
/// .NET's Console, on its first write to a terminal, loads terminfo and sends the terminal's keypad-transmit sequence
/// (<c>ESC[?1h ESC=</c>): every command would start with it, and a terminal left in that mode sends other codes for the
/// arrow keys. Brummer only prints lines, so it writes them to descriptors 1 and 2 itself, with write(2) as Console
/// does (no file position of its own: <c>&gt; file 2&gt;&amp;1</c> keeps both streams in order).
/// </summary>
public static partial class StandardStreams
{
    private const int Interrupted = 4; // EINTR

    public static void WriteDirectly()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        Console.SetOut(Writer(1));
        Console.SetError(Writer(2));
    }

    private static TextWriter Writer(int descriptor) =>
        TextWriter.Synchronized(new StreamWriter(new DescriptorStream(descriptor), new System.Text.UTF8Encoding(false), 4096) { AutoFlush = true });

    [LibraryImport("libc", EntryPoint = "write", SetLastError = true)]
    private static partial nint Write(int descriptor, ReadOnlySpan<byte> buffer, nint count);

    /// <summary>Writes to an inherited descriptor; once nobody reads it any more (<c>brummer logs -f | head</c>), the rest is dropped, as Console does.</summary>
    private sealed class DescriptorStream(int descriptor) : Stream
    {
        private bool _gone;

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            while (!_gone && !buffer.IsEmpty)
            {
                var written = StandardStreams.Write(descriptor, buffer, buffer.Length);
                if (written >= 0)
                {
                    buffer = buffer[(int)written..];
                }
                else if (Marshal.GetLastPInvokeError() != Interrupted)
                {
                    _gone = true;
                }
            }
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();
    }
}
