using System.CommandLine;
using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brummer.Clustering.Tls;

namespace Brummer.Cli.Commands;

/// <summary><c>brummer cert create</c>: a cluster CA and certificates signed by it, for <c>--tls-cert/--tls-key/--tls-ca</c>.</summary>
internal static class CertCommand
{
    public const string AuthorityCertificate = "ca.crt";
    public const string AuthorityKey = "ca.key";
    public const string DefaultDirectory = "brummer-certs";

    private const UnixFileMode Private = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Public = Private | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private const UnixFileMode PrivateDirectory = Private | UnixFileMode.UserExecute;

    public static Command Create()
    {
        var names = new Argument<string[]>("NAME")
        {
            Description = "One certificate per name: the node's --name, or any name for a gateway (e.g. gateway).",
            Arity = ArgumentArity.OneOrMore,
            Validators = { ValidateNames },
        };
        var output = new Option<DirectoryInfo>("--out", "-o")
        {
            Description = "Directory the certificates are written to (made if missing); ca.crt is written there too.",
            HelpName = "DIR",
            DefaultValueFactory = _ => new DirectoryInfo(DefaultDirectory),
        };
        var authority = new Option<DirectoryInfo?>("--ca")
        {
            Description = $"Directory of the cluster CA ({AuthorityCertificate}, {AuthorityKey}); a CA is made there if it has none. Default: --out.",
            HelpName = "DIR",
        };
        var alternativeNames = new Option<string[]>("--san")
        {
            Description = "An extra host name or IP address written into every certificate made (repeatable). The name, localhost, " +
                "127.0.0.1 and ::1 always are. Brummer itself checks the CA, not names: this is for other TLS tools.",
            HelpName = "HOST",
            DefaultValueFactory = _ => [],
            Validators = { ValidateAlternativeNames },
        };
        var force = new Option<bool>("--force")
        {
            Description = "Replace existing NAME.crt and NAME.key (and a ca.crt in --out of another CA). The CA itself is never replaced.",
        };

        var create = new Command(
            "create",
            $"""
            Makes a certificate and key for each NAME, signed by the cluster CA, and makes that CA first if --ca has none.
            Writes PEM files: {AuthorityCertificate} (the CA's certificate, for every member), {AuthorityKey} (the CA's key: keep it
            where certificates are made, never on the nodes), NAME.crt and NAME.key (for that member only). Keys are
            written with mode 0600; existing files are never replaced without --force. ECDSA P-256; the CA is valid for
            {ClusterCertificateAuthority.AuthorityValidity.TotalDays / 365.25:0} years, each certificate for {ClusterCertificateAuthority.MemberValidity.TotalDays / 365.25:0} years and for both ends of a TLS connection.
            Start each node and gateway with --tls-cert NAME.crt --tls-key NAME.key --tls-ca {AuthorityCertificate}: members then
            accept only peers with a certificate of this CA. There is no revocation: to shut a member out, make a new
            CA (a new --ca directory) and new certificates for every other member.
            """)
        {
            names, output, authority, alternativeNames, force,
        };
        create.SetAction(parse => Run(
            parse.GetValue(names)!.Distinct(StringComparer.Ordinal).ToList(),
            parse.GetValue(output)!.FullName,
            (parse.GetValue(authority) ?? parse.GetValue(output))!.FullName,
            parse.GetValue(alternativeNames)!,
            parse.GetValue(force)));

        return new Command("cert", "Makes the certificates for cluster TLS (mutual TLS between nodes and gateways).") { create };
    }

    private static int Run(IReadOnlyList<string> names, string output, string authorityDirectory, string[] alternativeNames, bool force)
    {
        var (authorityCertificate, authorityKey) = (Path.Combine(authorityDirectory, AuthorityCertificate), Path.Combine(authorityDirectory, AuthorityKey));
        var members = names.Select(n => (Name: n, Certificate: Path.Combine(output, n + ".crt"), Key: Path.Combine(output, n + ".key"))).ToList();
        var copiedAuthority = Path.Combine(output, AuthorityCertificate);

        // Everything that could stop the command is checked before anything is written.
        if (!force && members.SelectMany(m => new[] { m.Certificate, m.Key }).FirstOrDefault(File.Exists) is { } existing)
        {
            return CommandOutput.Fail($"{existing} already exists: pass --force to replace it (the CA is kept), or choose another NAME or --out.");
        }

        if (File.Exists(authorityCertificate) != File.Exists(authorityKey))
        {
            return CommandOutput.Fail($"{authorityDirectory} holds only one of {AuthorityCertificate} and {AuthorityKey}: restore the other, or use an empty --ca directory for a new CA.");
        }

        var now = DateTimeOffset.UtcNow;
        ClusterCertificateAuthority ca;
        var madeAuthority = !File.Exists(authorityCertificate);
        try
        {
            ca = madeAuthority
                ? ClusterCertificateAuthority.Create(now)
                : ClusterCertificateAuthority.FromPem(File.ReadAllText(authorityCertificate), File.ReadAllText(authorityKey));
        }
        catch (Exception ex) when (ex is CryptographicException or ArgumentException or IOException or UnauthorizedAccessException)
        {
            return CommandOutput.Fail($"the CA in {authorityDirectory} cannot be used: {AuthorityCertificate} must be a CA certificate and {AuthorityKey} its unencrypted ECDSA key (PEM).");
        }

        using (ca)
        {
            var authorityPem = ca.Certificate.ExportCertificatePem();
            if (!force && copiedAuthority != authorityCertificate && File.Exists(copiedAuthority) && File.ReadAllText(copiedAuthority).Trim() != authorityPem.Trim())
            {
                return CommandOutput.Fail($"{copiedAuthority} is another CA's certificate: pass --force to replace it, or choose another --out.");
            }

            if (madeAuthority)
            {
                CreateDirectory(authorityDirectory);
                WriteFile(authorityKey, KeyPem(ca.Certificate), Private);
                WriteFile(authorityCertificate, authorityPem, Public);
                Console.WriteLine($"Made the cluster CA '{ca.Certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false)}', valid until {ca.Certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}:");
                Console.WriteLine($"  {authorityCertificate}  for every node and gateway (--tls-ca)");
                Console.WriteLine($"  {authorityKey}  keep it here, off the nodes: whoever has it can make members of the cluster");
            }

            CreateDirectory(output);
            if (copiedAuthority != authorityCertificate)
            {
                WriteFile(copiedAuthority, authorityPem, Public);
            }

            foreach (var member in members)
            {
                using var certificate = ca.Issue(member.Name, ["localhost", "127.0.0.1", "::1", .. alternativeNames], now);
                WriteFile(member.Key, KeyPem(certificate), Private);
                WriteFile(member.Certificate, certificate.ExportCertificatePem(), Public);
                Console.WriteLine($"Made '{member.Name}', valid until {certificate.NotAfter.ToUniversalTime():yyyy-MM-dd}: {member.Certificate}, {member.Key}");
                Console.WriteLine($"  --tls-cert {member.Certificate} --tls-key {member.Key} --tls-ca {copiedAuthority}");
            }
        }

        return 0;
    }

    private static string KeyPem(X509Certificate2 certificate)
    {
        using var key = certificate.GetECDsaPrivateKey()!;
        return key.ExportPkcs8PrivateKeyPem();
    }

    private static void CreateDirectory(string path)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(path);
        }
        else
        {
            Directory.CreateDirectory(path, PrivateDirectory);
        }
    }

    /// <summary>
    /// Written beside the target and moved over it, so that a key is never readable by others, not even for an instant,
    /// and a reader never sees half a file.
    /// </summary>
    private static void WriteFile(string path, string text, UnixFileMode mode)
    {
        var temporary = $"{path}.{Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(4))}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = mode;
        }

        using (var writer = new StreamWriter(temporary, options))
        {
            writer.Write(text);
        }

        File.Move(temporary, path, overwrite: true);
    }

    private static void ValidateNames(System.CommandLine.Parsing.ArgumentResult result)
    {
        foreach (var name in result.Tokens.Select(t => t.Value))
        {
            if (name.Length is 0 or > 64 || name[0] == '.' || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.') ||
                name.Equals(Path.GetFileNameWithoutExtension(AuthorityCertificate), StringComparison.OrdinalIgnoreCase))
            {
                result.AddError($"NAME '{Shorten(name)}' must be 1-64 letters, digits, '-', '_' or '.', not start with '.', and not be 'ca'.");
            }
        }
    }

    private static void ValidateAlternativeNames(System.CommandLine.Parsing.OptionResult result)
    {
        foreach (var name in result.Tokens.Select(t => t.Value))
        {
            if (!IPAddress.TryParse(name, out _) && Uri.CheckHostName(name) != UriHostNameType.Dns)
            {
                result.AddError($"--san '{Shorten(name)}' is neither an IP address nor a host name.");
            }
        }
    }

    private static string Shorten(string text) => text.Length > 80 ? text[..80] + "…" : text;
}
