using Brummer.Grains.Discovery;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

public sealed class PackageJsonDiscoveryTests
{
    [Fact]
    public void Discover_PackageJsonScripts_WithoutDirectStart_RunThroughNpm()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = "node server.js", ["build"] = "tsc -p ." });

        var catalog = PackageJsonDiscovery.Discover(stack.Path, directStart: false);

        Assert.Equal(["build", "web"], catalog.Scripts.Select(s => s.Name));
        var web = Assert.Single(catalog.Scripts, s => s.Name == "web");
        Assert.Equal("node server.js", web.Command);
        Assert.Equal("npm", web.Executable);
        Assert.Equal(["run", "web"], web.Arguments);
        Assert.Equal(stack.Path, web.WorkingDirectory);
        Assert.Equal("package.json (npm)", web.Source);
    }

    [Theory]
    [InlineData("pnpm-lock.yaml", "pnpm")]
    [InlineData("yarn.lock", "yarn")]
    [InlineData("bun.lock", "bun")]
    [InlineData("bun.lockb", "bun")]
    [InlineData("package-lock.json", "npm")]
    public void Discover_Lockfile_ChoosesItsPackageManager(string lockfile, string manager)
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["dev"] = "vite" });
        File.WriteAllText(stack.File(lockfile), string.Empty);

        var catalog = PackageJsonDiscovery.Discover(stack.Path, directStart: false);

        Assert.Equal(manager, catalog.Scripts[0].Executable);
    }

    [Fact]
    public void Discover_LockfilesOfSeveralManagers_PrefersPnpmThenYarnThenBun()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["dev"] = "vite" });
        File.WriteAllText(stack.File("yarn.lock"), string.Empty);
        File.WriteAllText(stack.File("bun.lockb"), string.Empty);
        File.WriteAllText(stack.File("pnpm-lock.yaml"), string.Empty);

        Assert.Equal("pnpm", PackageJsonDiscovery.Discover(stack.Path).Scripts[0].Executable);
    }

    [Fact]
    public void Discover_PackageManagerField_WinsOverLockfile()
    {
        using var stack = new StackDirectory(new Dictionary<string, string>(), """{ "packageManager": "yarn@4.1.0", "scripts": { "dev": "vite" } }""");
        File.WriteAllText(stack.File("pnpm-lock.yaml"), string.Empty);

        var script = Assert.Single(PackageJsonDiscovery.Discover(stack.Path).Scripts);

        Assert.Equal("yarn", script.Executable);
        Assert.Equal("package.json (yarn)", script.Source);
    }

    [Fact]
    public void Discover_MissingPackageJson_NamesTheFile()
    {
        var dir = Directory.CreateTempSubdirectory("brummer-empty-");
        try
        {
            var error = Assert.Throws<ScriptDiscoveryException>(() => PackageJsonDiscovery.Discover(dir.FullName));
            Assert.Contains(Path.Combine(dir.FullName, "package.json"), error.Message, StringComparison.Ordinal);
            Assert.Contains("not found", error.Message, StringComparison.Ordinal);
        }
        finally
        {
            dir.Delete(true);
        }
    }

    [Fact]
    public void Discover_MalformedJson_NamesLineAndColumn()
    {
        using var stack = new StackDirectory(new Dictionary<string, string>(), "{\n  \"scripts\": {\n    \"web\": \"node server.js\",,\n  }\n}\n");

        var error = Assert.Throws<ScriptDiscoveryException>(() => PackageJsonDiscovery.Discover(stack.Path));

        Assert.Contains(stack.File("package.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains("line 3, column 29", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("LineNumber", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("""{ "scripts": ["web"] }""", "\"scripts\" must be an object")]
    [InlineData("""{ "scripts": { "web": 3 } }""", "script \"web\" must be a string")]
    [InlineData("""{ "packageManager": "maven@3", "scripts": {} }""", "\"packageManager\" is \"maven@3\"")]
    [InlineData("""{ "scripts": { "a\u0007b": "x" } }""", "cannot be empty or contain control characters")]
    [InlineData("""[1, 2]""", "top level must be a JSON object")]
    public void Discover_InvalidShape_ExplainsTheProblem(string json, string expected)
    {
        using var stack = new StackDirectory(new Dictionary<string, string>(), json);

        var error = Assert.Throws<ScriptDiscoveryException>(() => PackageJsonDiscovery.Discover(stack.Path));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }
}
