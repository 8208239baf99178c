using System.Net;
using System.Security.Cryptography.X509Certificates;
using Brummer.Clustering.Tls;

namespace Brummer.Cli.Tests;

/// <summary><c>brummer cert create</c> run as a user runs it, and its files read back independently of Brummer's loader.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // file modes; Brummer runs on Linux and macOS
public sealed class CertCommandTests : IDisposable
{
    private const UnixFileMode OwnerOnly = UnixFileMode.UserRead | UnixFileMode.UserWrite;
    private const UnixFileMode Readable = OwnerOnly | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    private readonly string _root = Directory.CreateTempSubdirectory("brummer-cert-create-").FullName;

    [Fact]
    public async Task CertCreate_TwoNames_WritesACaAndOnePairEach_KeysOwnerOnly_ChainingToTheCaOnly()
    {
        var dir = Path.Combine(_root, "certs");

        var (exitCode, output) = await BrummerProcess.RunAsync("cert", "create", "a", "gateway", "--out", dir, "--san", "192.0.2.7", "--san", "build.example");

        Assert.True(exitCode == 0, output);
        Assert.Equal(["a.crt", "a.key", "ca.crt", "ca.key", "gateway.crt", "gateway.key"], Directory.GetFiles(dir).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(dir));
        Assert.All(Directory.GetFiles(dir, "*.key"), k => Assert.Equal(OwnerOnly, File.GetUnixFileMode(k)));
        Assert.All(Directory.GetFiles(dir, "*.crt"), c => Assert.Equal(Readable, File.GetUnixFileMode(c)));
        Assert.Contains($"--tls-cert {dir}/a.crt --tls-key {dir}/a.key --tls-ca {dir}/ca.crt", output, StringComparison.Ordinal);
        Assert.Contains($"--tls-cert {dir}/gateway.crt --tls-key {dir}/gateway.key --tls-ca {dir}/ca.crt", output, StringComparison.Ordinal);

        using var ca = Certificate(dir, "ca");
        Assert.True(ca.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        AssertValidFor(ca, years: 10);
        foreach (var name in new[] { "a", "gateway" })
        {
            using var member = X509Certificate2.CreateFromPemFile(Path.Combine(dir, name + ".crt"), Path.Combine(dir, name + ".key"));
            Assert.Equal(name, member.GetNameInfo(X509NameType.SimpleName, forIssuer: false));
            using (var key = member.GetECDsaPublicKey())
            {
                Assert.Equal(256, key!.KeySize);
            }

            Assert.True(Chains(member, ca));
            AssertValidFor(member, years: 2);
            var usages = member.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<System.Security.Cryptography.Oid>().Select(o => o.Value);
            Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], usages.Order(StringComparer.Ordinal));
            var names = member.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
            Assert.Equal([name, "localhost", "build.example"], names.EnumerateDnsNames());
            Assert.Equal([IPAddress.Loopback, IPAddress.IPv6Loopback, IPAddress.Parse("192.0.2.7")], names.EnumerateIPAddresses());
            using var tls = ClusterTls.Load(new ClusterTlsFiles(Path.Combine(dir, name + ".crt"), Path.Combine(dir, name + ".key"), Path.Combine(dir, "ca.crt")));
        }

        // A CA made by another run signs nothing of this one.
        var other = Path.Combine(_root, "other");
        Assert.Equal(0, (await BrummerProcess.RunAsync("cert", "create", "a", "--out", other)).ExitCode);
        using var otherCa = Certificate(other, "ca");
        using var a = Certificate(dir, "a");
        Assert.False(Chains(a, otherCa));
    }

    [Fact]
    public async Task CertCreate_AgainWithAnotherName_SignsItWithTheSameCa()
    {
        var dir = Path.Combine(_root, "certs");
        Assert.Equal(0, (await BrummerProcess.RunAsync("cert", "create", "a", "--out", dir)).ExitCode);
        var caBefore = File.ReadAllBytes(Path.Combine(dir, "ca.crt"));

        var (exitCode, output) = await BrummerProcess.RunAsync("cert", "create", "b", "--out", dir);

        Assert.True(exitCode == 0, output);
        Assert.DoesNotContain("Made the cluster CA", output, StringComparison.Ordinal);
        Assert.Equal(caBefore, File.ReadAllBytes(Path.Combine(dir, "ca.crt")));
        using var ca = Certificate(dir, "ca");
        using var b = Certificate(dir, "b");
        Assert.True(Chains(b, ca));
    }

    [Fact]
    public async Task CertCreate_ExistingName_IsRefusedWithoutForce_AndWithForceOnlyThatPairIsReplaced()
    {
        var dir = Path.Combine(_root, "certs");
        Assert.Equal(0, (await BrummerProcess.RunAsync("cert", "create", "a", "--out", dir)).ExitCode);
        var before = Directory.GetFiles(dir).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

        var (refused, message) = await BrummerProcess.RunAsync("cert", "create", "b", "a", "--out", dir);

        Assert.Equal(2, refused);
        Assert.Equal($"brummer: {dir}/a.crt already exists: pass --force to replace it (the CA is kept), or choose another NAME or --out.", message);
        Assert.False(File.Exists(Path.Combine(dir, "b.crt")), "nothing is written when one name is refused");
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(Path.Combine(dir, f.Key))));

        var (forced, output) = await BrummerProcess.RunAsync("cert", "create", "a", "--out", dir, "--force");

        Assert.True(forced == 0, output);
        Assert.NotEqual(before["a.crt"], File.ReadAllBytes(Path.Combine(dir, "a.crt")));
        Assert.NotEqual(before["a.key"], File.ReadAllBytes(Path.Combine(dir, "a.key")));
        Assert.Equal(before["ca.crt"], File.ReadAllBytes(Path.Combine(dir, "ca.crt")));
        Assert.Equal(before["ca.key"], File.ReadAllBytes(Path.Combine(dir, "ca.key")));
        Assert.Equal(OwnerOnly, File.GetUnixFileMode(Path.Combine(dir, "a.key")));
        Assert.Empty(Directory.GetFiles(dir, "*.tmp"));
    }

    [Fact]
    public async Task CertCreate_SeparateCaDirectory_KeepsTheCaKeyThere_AndPutsOnlyItsCertificateBesideTheMembers()
    {
        var (authority, members) = (Path.Combine(_root, "ca"), Path.Combine(_root, "members"));

        var (exitCode, output) = await BrummerProcess.RunAsync("cert", "create", "a", "--ca", authority, "--out", members);

        Assert.True(exitCode == 0, output);
        Assert.Equal(["ca.crt", "ca.key"], Directory.GetFiles(authority).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(["a.crt", "a.key", "ca.crt"], Directory.GetFiles(members).Select(Path.GetFileName).Order(StringComparer.Ordinal));
        Assert.Equal(File.ReadAllBytes(Path.Combine(authority, "ca.crt")), File.ReadAllBytes(Path.Combine(members, "ca.crt")));
    }

    [Theory]
    [InlineData("ca")]
    [InlineData("../escape")]
    [InlineData("a/b")]
    [InlineData(".hidden")]
    [InlineData("with space")]
    [InlineData("")]
    [InlineData("a123456789012345678901234567890123456789012345678901234567890123456789")]
    public async Task CertCreate_BadName_IsRefused_AndNothingIsWritten(string name)
    {
        var dir = Path.Combine(_root, "certs");

        var (exitCode, output) = await BrummerProcess.RunAsync("cert", "create", "good", name, "--out", dir);

        Assert.NotEqual(0, exitCode);
        Assert.Contains($"NAME '{name}' must be 1-64 letters, digits, '-', '_' or '.', not start with '.', and not be 'ca'.", output, StringComparison.Ordinal);
        Assert.False(Directory.Exists(dir));
        Assert.Empty(Directory.GetFileSystemEntries(_root));
    }

    [Fact]
    public async Task CertCreate_Help_SaysWhatItWritesHowLongItIsValidAndWhatToPass()
    {
        var (exitCode, output) = await BrummerProcess.RunAsync("cert", "create", "--help");

        Assert.Equal(0, exitCode);
        foreach (var expected in new[] { "ca.crt", "ca.key", "NAME.crt", "mode 0600", "--force", "10 years", "2 years", "--tls-cert NAME.crt --tls-key NAME.key --tls-ca ca.crt", "no revocation" })
        {
            Assert.Contains(expected, output, StringComparison.Ordinal);
        }
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    private static X509Certificate2 Certificate(string dir, string name) => X509Certificate2.CreateFromPem(File.ReadAllText(Path.Combine(dir, name + ".crt")));

    /// <summary>Chain building with the CA as the only root: what the cluster does, written independently of it.</summary>
    private static bool Chains(X509Certificate2 member, X509Certificate2 ca)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.Add(ca);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(member);
    }

    private static void AssertValidFor(X509Certificate2 certificate, int years)
    {
        var now = DateTime.UtcNow;
        Assert.InRange(certificate.NotBefore.ToUniversalTime(), now.AddHours(-1), now);
        Assert.InRange(certificate.NotAfter.ToUniversalTime(), now.AddYears(years).AddDays(-3), now.AddYears(years).AddDays(1));
    }
}
