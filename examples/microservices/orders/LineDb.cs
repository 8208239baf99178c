using System.Net.Sockets;
using System.Text;

namespace Orders;

/// <summary>A client of the db stand-in (db/db.py): one connection per command, one line out, one line back.</summary>
public sealed class LineDb(string address)
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    private readonly (string Host, int Port) _endpoint = Parse(address);

    public string Address => address;

    /// <summary>The db's answer to <paramref name="command"/>; throws <see cref="IOException"/> when it cannot be reached.</summary>
    public async Task<string> CallAsync(string command, CancellationToken cancellationToken = default)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(Timeout);
        try
        {
            using var client = new TcpClient();
            await client.ConnectAsync(_endpoint.Host, _endpoint.Port, timeout.Token);
            await using var stream = client.GetStream();
            await stream.WriteAsync(Encoding.UTF8.GetBytes(command + "\n"), timeout.Token);
            using var reader = new StreamReader(stream, Encoding.UTF8);
            var answer = await reader.ReadLineAsync(timeout.Token);
            return answer ?? throw new IOException($"the db at {address} closed the connection without answering '{command}'");
        }
        catch (Exception ex) when (ex is SocketException or OperationCanceledException && !cancellationToken.IsCancellationRequested)
        {
            throw new IOException($"the db at {address} cannot be reached: {ex.Message}", ex);
        }
    }

    /// <summary>The text of a <c>VALUE text</c> answer; null for <c>NIL</c>.</summary>
    public async Task<string?> ValueAsync(string command, CancellationToken cancellationToken = default)
    {
        var answer = await CallAsync(command, cancellationToken);
        return answer switch
        {
            "NIL" => null,
            _ when answer.StartsWith("VALUE ", StringComparison.Ordinal) => answer["VALUE ".Length..],
            _ => throw new IOException($"the db at {address} refused '{command}': {answer}"),
        };
    }

    private static (string, int) Parse(string address)
    {
        var colon = address.LastIndexOf(':');
        return colon > 0 && int.TryParse(address[(colon + 1)..], out var port)
            ? (address[..colon], port)
            : throw new ArgumentException($"ORDERS_DB must be host:port (e.g. 127.0.0.1:3103); got '{address}'", nameof(address));
    }
}
