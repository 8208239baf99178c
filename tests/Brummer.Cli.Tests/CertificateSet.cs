using System.Security.Cryptography.X509Certificates;

namespace Brummer.Cli.Tests;

/// <summary>A cluster CA and member certificates made by the real <c>brummer cert create</c> in a directory of its own.</summary>
internal sealed class CertificateSet : IDisposable
{
    private CertificateSet(string path)
    {
        Path = path;
    }

    public string Path { get; }

    public string Authority => File("ca.crt");

    public static async Task<CertificateSet> CreateAsync(params string[] names)
    {
        var set = new CertificateSet(Directory.CreateTempSubdirectory("brummer-certs-").FullName);
        var (exitCode, output) = await BrummerProcess.RunAsync(["cert", "create", .. names, "--out", set.Path]);
        Assert.True(exitCode == 0, output);
        return set;
    }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public string Certificate(string name) => File(name + ".crt");

    public string Key(string name) => File(name + ".key");

    /// <summary>What a node or gateway named <paramref name="name"/> is started with.</summary>
    public string[] Flags(string name) => ["--tls-cert", Certificate(name), "--tls-key", Key(name), "--tls-ca", Authority];

    /// <summary>The member's certificate with its private key, as an attacker holding the files would load it.</summary>
    public X509Certificate2 Load(string name) => X509Certificate2.CreateFromPemFile(Certificate(name), Key(name));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
