using System.Security.Cryptography;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Brummer.Gateway.Security;

/// <summary>
/// The tokens this gateway accepts, read from <see cref="GatewayOptions.TokenFile"/> and re-read when the file changes
/// (a revoke takes effect within a second, no restart). No file configured means authentication is off — which
/// the hosts allow only on loopback. A file that becomes unreadable keeps the last good tokens: failing open on a
/// half-written file would be the worst outcome.
/// </summary>
public sealed class TokenStore
{
    private static readonly TimeSpan RecheckEvery = TimeSpan.FromSeconds(1);

    private readonly string? _path;
    private readonly TimeProvider _time;
    private readonly ILogger<TokenStore> _logger;
    private readonly Lock _reload = new();
    private Snapshot _current;
    private long _nextCheck;

    public TokenStore(IOptions<GatewayOptions> options, TimeProvider time, ILogger<TokenStore> logger)
    {
        ArgumentNullException.ThrowIfNull(options);
        _path = options.Value.TokenFile;
        _time = time;
        _logger = logger;
        // Read at start: a gateway told to use a file it cannot read must not start without authentication.
        _current = _path is null ? new Snapshot([], default) : Read(_path);
    }

    /// <summary>True when requests must carry a token.</summary>
    public bool Enabled => _path is not null;

    public int Count => Current.Tokens.Count;

    /// <summary>The token whose hash matches, or null. Every stored hash is compared, in constant time each.</summary>
    public StoredToken? Verify(ReadOnlySpan<char> presented)
    {
        if (presented.Length is 0 or > TokenFile.MaxTokenLength)
        {
            return null;
        }

        Span<byte> utf8 = stackalloc byte[TokenFile.MaxTokenLength * 3];
        var length = System.Text.Encoding.UTF8.GetBytes(presented, utf8);
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(utf8[..length], hash);
        StoredToken? match = null;
        foreach (var token in Current.Tokens)
        {
            // No early exit: the time taken does not tell which entry (if any) matched.
            if (CryptographicOperations.FixedTimeEquals(hash, token.Hash))
            {
                match = token;
            }
        }

        return match;
    }

    private Snapshot Current
    {
        get
        {
            var now = _time.GetTimestamp();
            if (_path is not null && now >= Volatile.Read(ref _nextCheck))
            {
                Recheck(_path, now);
            }

            return Volatile.Read(ref _current);
        }
    }

    private void Recheck(string path, long now)
    {
        if (!_reload.TryEnter())
        {
            return; // Another request is re-reading it; this one uses the tokens as they were.
        }

        try
        {
            Volatile.Write(ref _nextCheck, now + (long)(RecheckEvery.TotalSeconds * _time.TimestampFrequency));
            var stamp = Stamp(path);
            if (stamp == _current.Stamp)
            {
                return;
            }

            try
            {
                Volatile.Write(ref _current, Read(path));
                _logger.LogInformation("Reloaded {Count} API token(s) from {Path}", _current.Tokens.Count, path);
            }
            catch (TokenFileException ex)
            {
                // Remember the bad version so it is reported once, not every second; the old tokens stay in force.
                Volatile.Write(ref _current, _current with { Stamp = stamp });
                _logger.LogWarning("Keeping the previous API tokens: {Reason}", ex.Message);
            }
        }
        finally
        {
            _reload.Exit();
        }
    }

    private static Snapshot Read(string path)
    {
        var stamp = Stamp(path);
        if (stamp == default)
        {
            throw new TokenFileException($"The token file {path} does not exist. Create a token with: brummer token create NAME --role read|operate|admin --tokens {path}");
        }

        return new Snapshot(TokenFile.Load(path), stamp);
    }

    private static (DateTime, long) Stamp(string path)
    {
        var info = new FileInfo(path);
        return info.Exists ? (info.LastWriteTimeUtc, info.Length) : default;
    }

    private sealed record Snapshot(IReadOnlyList<StoredToken> Tokens, (DateTime Written, long Length) Stamp);
}
