using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Brummer.Cli.Commands;
using Brummer.Silo;
using Brummer.Tests;

namespace Brummer.Cli.Tests;

/// <summary>
/// What a node lets the network reach: beyond loopback only with cluster TLS, or with --insecure and a warning; and the
/// three TLS options, given together (as flags or BRUMMER_TLS_*) and read before anything touches the network.
/// </summary>
public sealed class NodeExposureTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Node_NonLoopbackAdvertiseWithoutTls_RefusesToStart_InOneLineNamingTlsAndInsecure()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["x"] = "true" });

        // Nothing listens on this Redis: had the node gone past the check, it would say so instead.
        var (exitCode, text) = await BrummerProcess.RunAsync(
            "node", "--name", "a", "--dir", stack.Path, "--cluster", $"redis://127.0.0.1:{FreePort.Next()}", "--advertise", "192.0.2.1");

        Assert.Equal(2, exitCode);
        Assert.Equal(
            "brummer: --advertise 192.0.2.1 is not a loopback address and cluster TLS is off: anyone who reaches it could join the cluster " +
            "and run its scripts. Pass --tls-cert, --tls-key and --tls-ca (`brummer cert create` makes them), or --insecure to run without protection.",
            text);
    }

    /// <summary>A node on this machine's LAN address, as another machine would reach it.</summary>
    [Theory]
    [InlineData("tls", false, "Cluster TLS: on (certificate 'a'")]
    [InlineData("insecure", true, "Cluster TLS: off")]
    [InlineData("loopback", false, "Cluster TLS: off")]
    public async Task Node_StartsBeyondLoopbackOnlyWithTlsOrInsecure_AndWarnsWhenInsecure(string mode, bool warns, string banner)
    {
        var address = mode == "loopback" ? IPAddress.Loopback : LanAddress();
        using var stack = new StackDirectory(new Dictionary<string, string> { ["x"] = "true" });
        using var certificates = await CertificateSet.CreateAsync("a");
        var (silo, gateway) = (FreePort.Next(), FreePort.Next());
        await using var cluster = new ProcessCluster($"dev://{address}:{silo}?gateway={gateway}");
        string[] flags = mode switch
        {
            "tls" => certificates.Flags("a"),
            "insecure" => ["--insecure"],
            _ => [],
        };

        var node = await cluster.StartNodeAsync("a", stack.Path, silo, gateway, ["--advertise", address.ToString(), .. flags]);

        await node.WaitForOutputAsync(banner); // printed after "joined"
        output.WriteLine(node.Output);
        Assert.Contains($"as {address}:{silo}", node.Output, StringComparison.Ordinal);
        var warning = $"brummer: warning: cluster TLS is off and this node listens on {address} (--insecure): anyone who reaches ports {silo} and {gateway} there can join the cluster and run its scripts, and its push port shows them every script's status.";
        Assert.Equal(warns, node.Output.Contains(warning, StringComparison.Ordinal));
        Assert.Equal(warns, node.Output.Contains("warning", StringComparison.OrdinalIgnoreCase));
    }

    [Theory]
    [InlineData("node", "--tls-cert", "--tls-key (or $BRUMMER_TLS_KEY), --tls-ca (or $BRUMMER_TLS_CA)")]
    [InlineData("node", "--tls-ca", "--tls-cert (or $BRUMMER_TLS_CERT), --tls-key (or $BRUMMER_TLS_KEY)")]
    [InlineData("gateway", "--tls-key", "--tls-cert (or $BRUMMER_TLS_CERT), --tls-ca (or $BRUMMER_TLS_CA)")]
    public void TlsOptions_GivenPartly_AreAUsageErrorNamingTheMissingOnes(string verb, string given, string missing)
    {
        var parse = BrummerCommands.Build().Parse([verb, "--cluster", "redis://127.0.0.1:6379", given, "some.pem"]);

        var error = Assert.Single(parse.Errors);
        Assert.Equal($"--tls-cert, --tls-key and --tls-ca go together (`brummer cert create` makes them): missing {missing}.", error.Message);
    }

    [Theory]
    [InlineData("node")]
    [InlineData("gateway")]
    public async Task TlsOptions_FromTheEnvironment_AreReadLikeFlags_BeforeTheNetworkIsTouched(string verb)
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["x"] = "true" });
        var missing = Path.Combine(stack.Path, "nowhere");
        var environment = new Dictionary<string, string>
        {
            ["BRUMMER_TLS_CERT"] = Path.Combine(missing, "a.crt"),
            ["BRUMMER_TLS_KEY"] = Path.Combine(missing, "a.key"),
            ["BRUMMER_TLS_CA"] = Path.Combine(missing, "ca.crt"),
        };
        string[] args = verb == "node" ? ["node", "--dir", stack.Path] : ["gateway"];

        await using var process = BrummerProcess.Start(environment, [.. args, "--cluster", $"redis://127.0.0.1:{FreePort.Next()}"]);
        var exitCode = await process.WaitForExitAsync(TimeSpan.FromSeconds(60));

        Assert.Equal(2, exitCode);
        Assert.Equal($"brummer: --tls-cert file '{missing}/a.crt' does not exist.", process.Output.Trim());
    }

    /// <summary>This machine's first non-loopback IPv4 address that is up; skips where there is none.</summary>
    private static IPAddress LanAddress()
    {
        var address = NetworkInterface.GetAllNetworkInterfaces()
            .Where(i => i.OperationalStatus == OperationalStatus.Up && i.NetworkInterfaceType != NetworkInterfaceType.Loopback)
            .SelectMany(i => i.GetIPProperties().UnicastAddresses)
            .Select(a => a.Address)
            .FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork && !IPAddress.IsLoopback(a));
        Assert.SkipWhen(address is null, "this machine has no non-loopback IPv4 address");
        return address!;
    }
}
