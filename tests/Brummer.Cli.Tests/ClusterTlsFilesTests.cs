using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Brummer.Clustering.Tls;

namespace Brummer.Cli.Tests;

/// <summary>
/// The three PEM files a node or gateway is given, as users get them wrong: each mistake is one line naming the
/// option and the file, and never a byte of the key.
/// </summary>
public sealed class ClusterTlsFilesTests : IDisposable
{
    private static readonly DateTimeOffset Now = DateTimeOffset.UtcNow;

    private readonly string _dir = Directory.CreateTempSubdirectory("brummer-tls-files-").FullName;
    // Made in the past, so that it can also sign a certificate that has expired by now.
    private readonly ClusterCertificateAuthority _ca = ClusterCertificateAuthority.Create(Now.AddYears(-4));
    private readonly ClusterCertificateAuthority _otherCa = ClusterCertificateAuthority.Create(Now);

    public ClusterTlsFilesTests()
    {
        Write("ca.crt", _ca.Certificate.ExportCertificatePem());
        Write("other-ca.crt", _otherCa.Certificate.ExportCertificatePem());
        WriteMember("a", _ca.Issue("a", [], Now));
        WriteMember("b", _ca.Issue("b", [], Now));
        WriteMember("stranger", _otherCa.Issue("stranger", [], Now));
        WriteMember("expired", _ca.Issue("expired", [], Now.AddYears(-3)));
        using (var key = ECDsa.Create())
        {
            Write("encrypted.key", key.ExportEncryptedPkcs8PrivateKeyPem("secret", new PbeParameters(PbeEncryptionAlgorithm.Aes256Cbc, HashAlgorithmName.SHA256, 1000)));
        }
    }

    [Fact]
    public void Load_FilesMadeByTheClusterCa_GivesTheMemberAndItsCa_AndTrustsOnlyThatCasMembers()
    {
        using var tls = ClusterTls.Load(Files("a.crt", "a.key", "ca.crt"));
        using var b = X509Certificate2.CreateFromPem(File.ReadAllText(Path("b.crt")));
        using var stranger = X509Certificate2.CreateFromPem(File.ReadAllText(Path("stranger.crt")));
        using var expired = X509Certificate2.CreateFromPem(File.ReadAllText(Path("expired.crt")));

        Assert.Equal("a", tls.Name);
        Assert.True(tls.Certificate.HasPrivateKey);
        Assert.Equal(_ca.Certificate.GetNameInfo(X509NameType.SimpleName, false), tls.AuthorityName);
        Assert.True(tls.IsMember(b));
        Assert.False(tls.IsMember(stranger));
        Assert.Contains("not issued by the cluster CA", tls.Check(stranger), StringComparison.Ordinal);
        Assert.Contains("valid from", tls.Check(expired), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("missing.crt", "a.key", "ca.crt", "--tls-cert file '{dir}/missing.crt' does not exist.")]
    [InlineData("a.crt", "missing.key", "ca.crt", "--tls-key file '{dir}/missing.key' does not exist.")]
    [InlineData("a.crt", "a.key", "missing.crt", "--tls-ca file '{dir}/missing.crt' does not exist.")]
    [InlineData(".", "a.key", "ca.crt", "--tls-cert '{dir}/.' is a directory")]
    [InlineData("a.crt", "b.key", "ca.crt", "--tls-key '{dir}/b.key' is not the PEM private key of --tls-cert '{dir}/a.crt'.")]
    [InlineData("a.key", "a.key", "ca.crt", "--tls-cert '{dir}/a.key' holds no readable PEM certificate")]
    [InlineData("a.crt", "a.crt", "ca.crt", "--tls-key '{dir}/a.crt' is not the PEM private key of --tls-cert")]
    [InlineData("a.crt", "encrypted.key", "ca.crt", "--tls-key '{dir}/encrypted.key' is encrypted")]
    [InlineData("a.crt", "a.key", "b.crt", "--tls-ca '{dir}/b.crt' is not a CA certificate")]
    [InlineData("a.crt", "a.key", "a.key", "--tls-ca '{dir}/a.key' holds no PEM certificate")]
    [InlineData("stranger.crt", "stranger.key", "ca.crt", "--tls-cert '{dir}/stranger.crt' cannot be used with --tls-ca '{dir}/ca.crt': it is not issued by the cluster CA")]
    [InlineData("expired.crt", "expired.key", "ca.crt", "--tls-cert '{dir}/expired.crt' cannot be used with --tls-ca '{dir}/ca.crt': it is valid from")]
    public void Load_AMistake_IsOneLineNamingTheOptionAndFile_WithoutAByteOfAnyKey(string certificate, string key, string authority, string why)
    {
        var error = Assert.Throws<ClusterTlsException>(() => ClusterTls.Load(Files(certificate, key, authority)));

        Assert.Contains(why.Replace("{dir}", _dir, StringComparison.Ordinal), error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        foreach (var keyFile in Directory.EnumerateFiles(_dir, "*.key"))
        {
            // Any line of base64 from a key file would be a leak.
            foreach (var line in File.ReadAllLines(keyFile).Where(l => !l.StartsWith("-----", StringComparison.Ordinal)))
            {
                Assert.DoesNotContain(line[..Math.Min(16, line.Length)], error.Message, StringComparison.Ordinal);
            }
        }
    }

    public void Dispose()
    {
        _ca.Dispose();
        _otherCa.Dispose();
        Directory.Delete(_dir, recursive: true);
    }

    private ClusterTlsFiles Files(string certificate, string key, string authority) => new(Path(certificate), Path(key), Path(authority));

    private string Path(string name) => System.IO.Path.Combine(_dir, name);

    private void Write(string name, string text) => File.WriteAllText(Path(name), text);

    private void WriteMember(string name, X509Certificate2 certificate)
    {
        using (certificate)
        using (var key = certificate.GetECDsaPrivateKey()!)
        {
            Write(name + ".crt", certificate.ExportCertificatePem());
            Write(name + ".key", key.ExportPkcs8PrivateKeyPem());
        }
    }
}
