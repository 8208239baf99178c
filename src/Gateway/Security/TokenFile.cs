using System.Buffers.Text;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Brummer.Gateway.Security;

/// <summary>A token file is unusable (missing, malformed, or it says something impossible); the message says what and where.</summary>
public sealed class TokenFileException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>One token as stored: its name, its role and the SHA-256 of the token (never the token itself).</summary>
public sealed record StoredToken(string Name, GatewayRole Role, byte[] Hash, DateTimeOffset Created);

/// <summary>
/// The file of API tokens that gateways are pointed at (<c>--tokens FILE</c> or <c>BRUMMER_TOKENS</c>): JSON holding,
/// per token, a name, a role and a SHA-256 hash. Tokens are 256 random bits, so a plain hash is enough to make a
/// stolen file useless (no password stretching needed); the token itself is shown once, when created. The file is
/// written atomically (temp file + rename) with mode 0600.
/// </summary>
public static class TokenFile
{
    /// <summary>Prefix of every token, so that secret scanners and people recognise one.</summary>
    public const string Prefix = "brm_";

    public const string EnvironmentVariable = "BRUMMER_TOKENS";

    /// <summary>The longest presented token worth hashing; anything longer is no token of ours.</summary>
    public const int MaxTokenLength = 128;

    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true };

    /// <summary>Where tokens live when neither <c>--tokens</c> nor <c>BRUMMER_TOKENS</c> says: $XDG_CONFIG_HOME/brummer/tokens.json.</summary>
    public static string DefaultPath
    {
        get
        {
            var config = Environment.GetEnvironmentVariable("XDG_CONFIG_HOME") is { Length: > 0 } xdg
                ? xdg
                : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".config");
            return Path.Combine(config, "brummer", "tokens.json");
        }
    }

    /// <summary>The path from an option, else the environment, else the default.</summary>
    public static string Resolve(string? option) =>
        option is { Length: > 0 } ? Path.GetFullPath(option)
        : Environment.GetEnvironmentVariable(EnvironmentVariable) is { Length: > 0 } fromEnvironment ? Path.GetFullPath(fromEnvironment)
        : DefaultPath;

    public static IReadOnlyList<StoredToken> Load(string path)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new TokenFileException($"Cannot read the token file {path}: {ex.Message}", ex);
        }

        Document? document;
        try
        {
            document = JsonSerializer.Deserialize<Document>(text, Json);
        }
        catch (JsonException ex)
        {
            throw new TokenFileException($"The token file {path} is not valid JSON (line {ex.LineNumber + 1}): {ex.Message}", ex);
        }

        var tokens = new List<StoredToken>();
        foreach (var (entry, index) in (document?.Tokens ?? []).Select((e, i) => (e, i)))
        {
            if (string.IsNullOrWhiteSpace(entry.Name) || !GatewayRoles.TryParse(entry.Role, out var role) ||
                entry.Sha256 is null || !TryHash(entry.Sha256, out var hash))
            {
                throw new TokenFileException($"Token #{index + 1} in {path} needs a name, a role (read, operate or admin) and a sha256 (base64 of 32 bytes).");
            }

            tokens.Add(new StoredToken(entry.Name, role, hash, entry.Created));
        }

        return tokens;
    }

    /// <summary>Adds a token and returns it: the only time it is ever shown.</summary>
    public static string Create(string path, string name, GatewayRole role, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(time);
        var existing = File.Exists(path) ? Load(path) : [];
        if (existing.Any(t => string.Equals(t.Name, name, StringComparison.Ordinal)))
        {
            throw new TokenFileException($"A token named '{name}' already exists in {path}; revoke it first or choose another name.");
        }

        var token = Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        Save(path, [.. existing, new StoredToken(name, role, Hash(token), time.GetUtcNow())]);
        return token;
    }

    /// <summary>Removes the named token; false if there was none.</summary>
    public static bool Revoke(string path, string name)
    {
        var existing = Load(path);
        var kept = existing.Where(t => !string.Equals(t.Name, name, StringComparison.Ordinal)).ToList();
        if (kept.Count == existing.Count)
        {
            return false;
        }

        Save(path, kept);
        return true;
    }

    public static byte[] Hash(string token) => SHA256.HashData(Encoding.UTF8.GetBytes(token));

    private static bool TryHash(string text, out byte[] hash)
    {
        hash = new byte[32];
        return Convert.TryFromBase64String(text, hash, out var written) && written == 32;
    }

    private static void Save(string path, IReadOnlyList<StoredToken> tokens)
    {
        var directory = Path.GetDirectoryName(path)!;
        Directory.CreateDirectory(directory);
        var document = new Document(
            "Brummer API tokens: SHA-256 hashes only. Manage with: brummer token create|list|revoke",
            [.. tokens.Select(t => new Entry(t.Name, t.Role.ToWireName(), Convert.ToBase64String(t.Hash), t.Created))]);
        var temporary = Path.Combine(directory, $".{Path.GetFileName(path)}.{Environment.ProcessId.ToString(CultureInfo.InvariantCulture)}.tmp");
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var stream = new FileStream(temporary, options))
        {
            JsonSerializer.Serialize(stream, document, Json);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private sealed record Document(
        [property: JsonPropertyName("about")] string? About,
        [property: JsonPropertyName("tokens")] List<Entry>? Tokens);

    private sealed record Entry(
        [property: JsonPropertyName("name")] string? Name,
        [property: JsonPropertyName("role")] string? Role,
        [property: JsonPropertyName("sha256")] string? Sha256,
        [property: JsonPropertyName("created")] DateTimeOffset Created);
}
