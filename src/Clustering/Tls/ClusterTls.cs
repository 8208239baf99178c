using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Brummer.Clustering.Tls;

/// <summary>The PEM files a cluster member is given: its certificate, its private key, and the cluster CA's certificate.</summary>
public sealed record ClusterTlsFiles(string Certificate, string Key, string Authority);

/// <summary>Raised when TLS files cannot be used; the message is one line that never holds key material.</summary>
public sealed class ClusterTlsException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// A cluster member's TLS identity: its certificate with the private key, and the cluster CA it trusts. Mutual TLS with
/// this CA as the only root is what makes a silo or gateway a member: the OS trust store is never consulted, and any
/// certificate the CA signed is accepted from any address (the CA, not a host name, is the cluster's identity).
/// </summary>
public sealed class ClusterTls : IDisposable
{
    private const string ServerAuthentication = "1.3.6.1.5.5.7.3.1";
    private const string ClientAuthentication = "1.3.6.1.5.5.7.3.2";

    private readonly X509Certificate2Collection _authorities;

    private ClusterTls(X509Certificate2 certificate, X509Certificate2Collection authorities)
    {
        Certificate = certificate;
        _authorities = authorities;
    }

    /// <summary>This member's certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    /// <summary>The certificate's common name (the node or gateway name <c>brummer cert create</c> gave it).</summary>
    public string Name => Certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: false);

    /// <summary>The cluster CA's common name, for banners and messages.</summary>
    public string AuthorityName => _authorities[0].GetNameInfo(X509NameType.SimpleName, forIssuer: false);

    /// <summary>
    /// Reads and checks the three files: each must exist and hold PEM of the right kind, the key must match the
    /// certificate, the CA file must hold a CA, and the certificate must chain to it and be valid now.
    /// </summary>
    public static ClusterTls Load(ClusterTlsFiles files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var certificate = LoadCertificate(files.Certificate, files.Key);
        X509Certificate2Collection authorities;
        try
        {
            authorities = LoadAuthorities(files.Authority);
        }
        catch
        {
            certificate.Dispose();
            throw;
        }

        var tls = new ClusterTls(certificate, authorities);
        if (tls.Check(certificate) is { } problem)
        {
            tls.Dispose();
            throw new ClusterTlsException($"--tls-cert '{files.Certificate}' cannot be used with --tls-ca '{files.Authority}': it is {problem}.");
        }

        if (!AllowsUsage(certificate, ClientAuthentication))
        {
            tls.Dispose();
            throw new ClusterTlsException($"--tls-cert '{files.Certificate}' is not allowed for TLS client authentication (extended key usage): make it with `brummer cert create`.");
        }

        return tls;
    }

    /// <summary>Throws unless the certificate may also serve TLS connections, as a node's must (it accepts peers and gateways).</summary>
    public void EnsureServerUsage()
    {
        if (!AllowsUsage(Certificate, ServerAuthentication))
        {
            throw new ClusterTlsException($"the certificate '{Name}' is not allowed for TLS server authentication (extended key usage), which a node needs: make it with `brummer cert create`.");
        }
    }

    /// <summary>True if <paramref name="certificate"/> chains to the cluster CA and is valid now.</summary>
    public bool IsMember(X509Certificate2 certificate) => Check(certificate) is null;

    /// <summary>
    /// Null if the certificate chains to the cluster CA (and nothing else) and is valid now; otherwise why not, as a
    /// phrase that follows "it is" ("not issued by the cluster CA ...").
    /// </summary>
    public string? Check(X509Certificate2 certificate)
    {
        ArgumentNullException.ThrowIfNull(certificate);
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(_authorities);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.DisableCertificateDownloads = true;
        if (chain.Build(certificate))
        {
            return null;
        }

        var statuses = chain.ChainStatus.Select(s => s.Status).ToHashSet();
        return statuses.Contains(X509ChainStatusFlags.NotTimeValid)
            ? $"valid from {certificate.NotBefore.ToUniversalTime():u} to {certificate.NotAfter.ToUniversalTime():u} only"
            : $"not issued by the cluster CA '{AuthorityName}' (its issuer: '{certificate.GetNameInfo(X509NameType.SimpleName, forIssuer: true)}')";
    }

    /// <summary>
    /// TLS for a connection this member accepts outside Orleans (a node's push port): the peer must present a
    /// certificate the cluster CA issued, as Orleans' own connections require.
    /// </summary>
    public SslServerAuthenticationOptions SslServerOptions() => new()
    {
        ServerCertificate = Certificate,
        ClientCertificateRequired = true,
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, certificate, _, _) => Accepts(certificate),
    };

    /// <summary>TLS for a connection this member opens outside Orleans: it shows its certificate and accepts only a member's.</summary>
    public SslClientAuthenticationOptions SslClientOptions() => new()
    {
        // Host names are not the cluster's identity (see the class): the callback below replaces the platform's verdict.
        TargetHost = string.Empty,
        ClientCertificates = [Certificate],
        CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
        RemoteCertificateValidationCallback = (_, certificate, _, _) => Accepts(certificate),
    };

    // SslStream hands its callbacks an X509Certificate2 on .NET (Core); no certificate at all is a refusal.
    private bool Accepts(X509Certificate? certificate) => certificate is X509Certificate2 full && IsMember(full);

    public void Dispose()
    {
        Certificate.Dispose();
        foreach (var authority in _authorities)
        {
            authority.Dispose();
        }
    }

    private static X509Certificate2Collection LoadAuthorities(string path)
    {
        var text = ReadText(path, "--tls-ca");
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPem(text);
        }
        catch (CryptographicException ex)
        {
            throw new ClusterTlsException($"--tls-ca '{path}' holds a PEM certificate that cannot be read.", ex);
        }

        if (authorities.Count == 0)
        {
            throw new ClusterTlsException($"--tls-ca '{path}' holds no PEM certificate (-----BEGIN CERTIFICATE-----).");
        }

        if (authorities.Any(a => a.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true }))
        {
            throw new ClusterTlsException($"--tls-ca '{path}' is not a CA certificate: pass the cluster CA's certificate (ca.crt of `brummer cert create`).");
        }

        return authorities;
    }

    private static X509Certificate2 LoadCertificate(string certificatePath, string keyPath)
    {
        var certificateText = ReadText(certificatePath, "--tls-cert");
        var keyText = ReadText(keyPath, "--tls-key");
        X509Certificate2 publicOnly;
        try
        {
            publicOnly = X509Certificate2.CreateFromPem(certificateText);
        }
        catch (CryptographicException ex)
        {
            throw new ClusterTlsException($"--tls-cert '{certificatePath}' holds no readable PEM certificate (-----BEGIN CERTIFICATE-----).", ex);
        }

        using (publicOnly)
        {
            // The key's messages are ours, never the parser's: nothing derived from the key file is ever echoed.
            if (keyText.Contains("ENCRYPTED PRIVATE KEY", StringComparison.Ordinal))
            {
                throw new ClusterTlsException($"--tls-key '{keyPath}' is encrypted: give the unencrypted PEM key (keep it mode 0600).");
            }

            try
            {
                return publicOnly.GetKeyAlgorithm() switch
                {
                    "1.2.840.10045.2.1" => WithKey(publicOnly, ECDsa.Create(), keyText),
                    "1.2.840.113549.1.1.1" => WithKey(publicOnly, RSA.Create(), keyText),
                    var other => throw new ClusterTlsException($"--tls-cert '{certificatePath}' has a {other} key: only ECDSA and RSA are supported."),
                };
            }
            catch (Exception ex) when (ex is CryptographicException or ArgumentException)
            {
                throw new ClusterTlsException($"--tls-key '{keyPath}' is not the PEM private key of --tls-cert '{certificatePath}'.", ex);
            }
        }
    }

    private static X509Certificate2 WithKey<TKey>(X509Certificate2 certificate, TKey key, string pem)
        where TKey : AsymmetricAlgorithm
    {
        using (key)
        {
            key.ImportFromPem(pem);
            return key switch
            {
                ECDsa ecdsa => certificate.CopyWithPrivateKey(ecdsa),
                RSA rsa => certificate.CopyWithPrivateKey(rsa),
                _ => throw new CryptographicException("unsupported key"),
            };
        }
    }

    private static string ReadText(string path, string option)
    {
        if (Directory.Exists(path))
        {
            throw new ClusterTlsException($"{option} '{path}' is a directory: give the PEM file in it.");
        }

        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new ClusterTlsException($"{option} file '{path}' does not exist.", ex);
        }
        catch (UnauthorizedAccessException ex)
        {
            throw new ClusterTlsException($"{option} file '{path}' cannot be read: permission denied.", ex);
        }
        catch (IOException ex)
        {
            throw new ClusterTlsException($"{option} file '{path}' cannot be read: {ex.GetType().Name}.", ex);
        }
    }

    private static bool AllowsUsage(X509Certificate2 certificate, string oid) =>
        certificate.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is not { } usages ||
        usages.EnhancedKeyUsages.Cast<Oid>().Any(u => u.Value == oid);
}
