using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Brummer.Clustering.Tls;

/// <summary>
/// A cluster's own CA, made and used in-process (ECDSA P-256): it signs one certificate per node or gateway, valid
/// for both ends of a TLS connection, since a node both accepts and opens connections.
/// </summary>
public sealed class ClusterCertificateAuthority : IDisposable
{
    public static readonly TimeSpan AuthorityValidity = TimeSpan.FromDays(3652);
    public static readonly TimeSpan MemberValidity = TimeSpan.FromDays(730);

    // Clocks of the machines of one cluster are rarely exact: a certificate made on one is valid on the others at once.
    private static readonly TimeSpan ClockSkew = TimeSpan.FromMinutes(5);

    private ClusterCertificateAuthority(X509Certificate2 certificate)
    {
        Certificate = certificate;
    }

    /// <summary>The CA certificate, with its private key.</summary>
    public X509Certificate2 Certificate { get; }

    public static ClusterCertificateAuthority Create(DateTimeOffset now)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        // The date and a random suffix tell apart the CAs of several clusters (or a remade one) in every message.
        var name = $"Brummer cluster CA {now:yyyy-MM-dd} {Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(3))}";
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}, O=Brummer"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: true, hasPathLengthConstraint: true, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, critical: true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        return new ClusterCertificateAuthority(request.CreateSelfSigned(now - ClockSkew, now + AuthorityValidity));
    }

    /// <summary>Reads a CA written by <see cref="Create"/> (or any CA certificate with its ECDSA key) back from PEM.</summary>
    public static ClusterCertificateAuthority FromPem(string certificatePem, string keyPem)
    {
        using var key = ECDsa.Create();
        key.ImportFromPem(keyPem);
        using var certificate = X509Certificate2.CreateFromPem(certificatePem);
        if (certificate.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
        {
            throw new CryptographicException("not a CA certificate");
        }

        return new ClusterCertificateAuthority(certificate.CopyWithPrivateKey(key));
    }

    /// <summary>
    /// A certificate for the member <paramref name="name"/> (its common name and first DNS name), also valid for
    /// <paramref name="alternativeNames"/> (IP addresses or host names), with its private key.
    /// </summary>
    public X509Certificate2 Issue(string name, IEnumerable<string> alternativeNames, DateTimeOffset now)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(alternativeNames);
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest(new X500DistinguishedName($"CN={name}, O=Brummer"), key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(certificateAuthority: false, hasPathLengthConstraint: false, pathLengthConstraint: 0, critical: true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.DigitalSignature, critical: true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            [new Oid("1.3.6.1.5.5.7.3.1", "Server Authentication"), new Oid("1.3.6.1.5.5.7.3.2", "Client Authentication")], critical: false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, critical: false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(Certificate, includeKeyIdentifier: true, includeIssuerAndSerial: false));
        var names = new SubjectAlternativeNameBuilder();
        foreach (var alternative in alternativeNames.Prepend(name).Distinct(StringComparer.OrdinalIgnoreCase))
        {
            if (IPAddress.TryParse(alternative, out var address))
            {
                names.AddIpAddress(address);
            }
            else
            {
                names.AddDnsName(alternative);
            }
        }

        request.CertificateExtensions.Add(names.Build());
        // Never valid beyond the CA that signs it: the chain would break then anyway, and silently.
        var notAfter = now + MemberValidity < Certificate.NotAfter ? now + MemberValidity : new DateTimeOffset(Certificate.NotAfter);
        using var issued = request.Create(Certificate, now - ClockSkew, notAfter, SerialNumber());
        return issued.CopyWithPrivateKey(key);
    }

    public void Dispose() => Certificate.Dispose();

    /// <summary>Random and positive (a DER integer with the top bit set would read as negative).</summary>
    private static byte[] SerialNumber()
    {
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] = (byte)((serial[0] & 0x7F) | 0x01);
        return serial;
    }
}
