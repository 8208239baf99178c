using Brummer.Grains.Abstractions;
using Brummer.Grains.Discovery;
using Brummer.Tests;
using static Brummer.Grains.Tests.WorkspaceDiscoveryTests;

namespace Brummer.Grains.Tests;

/// <summary>npm scripts started without npm: the same command, directory, PATH, variables and pre/post chain as <c>npm run</c>.</summary>
[System.Runtime.Versioning.UnsupportedOSPlatform("windows")] // sh, chmod
public sealed class DirectStartTests
{
    /// <summary>What npm gives a script that a script commonly reads; every one must be the same without npm.</summary>
    private static readonly string[] NpmVariables =
    [
        "PATH", "PWD", "INIT_CWD", "NODE", "COLOR", "npm_command", "npm_lifecycle_event", "npm_lifecycle_script",
        "npm_package_json", "npm_package_name", "npm_package_version", "npm_package_config_port", "npm_package_engines_node",
        "npm_node_execpath", "npm_execpath", "npm_config_user_agent", "npm_config_local_prefix", "npm_config_node_gyp",
    ];

    [Fact]
    public void Discover_NpmProject_StartsEachScriptWithShInItsDirectory()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = "node server.js" });

        var web = Assert.Single(PackageJsonDiscovery.Discover(stack.Path, directStart: true).Scripts);

        Assert.Equal(("node server.js", "/bin/sh", stack.Path, "package.json (npm, direct)"), (web.Command, web.Executable, web.WorkingDirectory, web.Source));
        Assert.Equal(["-c", "node server.js"], web.Arguments);
        Assert.Equal("web", web.Environment["npm_lifecycle_event"]);
        Assert.Equal("test-stack", web.Environment["npm_package_name"]);
        Assert.StartsWith(Path.Combine(stack.Path, "node_modules", ".bin") + ":", web.Environment["PATH"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task DirectStart_WorkspaceScript_FindsHoistedBinAndSeesTheVariablesNpmRunGives()
    {
        using var repo = Monorepo("""{ "name": "shop", "workspaces": ["packages/*"] }""");
        Write(repo, "packages/web/package.json", """
            { "name": "@shop/web", "version": "1.4.2", "config": { "port": 8080 }, "engines": { "node": ">=18" },
              "scripts": { "dev": "shop-tool \"$OUT\"" } }
            """);
        // Found only through the root's node_modules/.bin, as a hoisted dependency's bin is.
        var tool = Path.Combine(repo.Path, "node_modules", ".bin", "shop-tool");
        Write(repo, "node_modules/.bin/shop-tool", "#!/bin/sh\nenv > \"$1.tmp\" && mv \"$1.tmp\" \"$1\"\n");
        File.SetUnixFileMode(tool, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);

        var direct = await RunAndReadEnvironmentAsync(repo, directStart: true);
        var npm = await RunAndReadEnvironmentAsync(repo, directStart: false);

        Assert.Equal("dev", direct["npm_lifecycle_event"]);
        Assert.Equal(Path.Combine(repo.Path, "packages", "web"), direct["PWD"]);
        Assert.Equal("8080", direct["npm_package_config_port"]);
        Assert.All(NpmVariables, key => Assert.True(npm.ContainsKey(key), $"npm run did not set {key}"));
        Assert.All(NpmVariables, key => Assert.Equal((key, npm[key]), (key, direct.GetValueOrDefault(key))));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Start_PreAndPostScripts_RunInOrderAndTheFirstFailureEndsTheChainWithItsCode(bool directStart)
    {
        using var repo = Monorepo("""
            { "name": "pp", "scripts": {
              "prea": "echo $npm_lifecycle_event >> a.log; exit 3", "a": "echo a >> a.log", "posta": "echo posta >> a.log",
              "b": "echo $npm_lifecycle_event >> b.log; exit 4", "postb": "echo postb >> b.log",
              "prec": "echo $npm_lifecycle_event >> c.log", "c": "echo $npm_lifecycle_event >> c.log", "postc": "echo $npm_lifecycle_event >> c.log; exit 5",
              "d": "echo $npm_lifecycle_event:$npm_lifecycle_script >> d.log", "postd": "echo $npm_lifecycle_event >> d.log" } }
            """);
        await using var node = new SupervisorHarness(PackageJsonDiscovery.Discover(repo.Path, directStart));

        var ended = new Dictionary<string, ProcessInfo>();
        foreach (var name in new[] { "a", "b", "c", "d" })
        {
            await node[name].StartAsync(TestContext.Current.CancellationToken);
            ended[name] = await node.WaitForAsync(name, p => p.ExitedAt is not null, "ended");
        }

        Assert.Equal((3, "prea"), (ended["a"].ExitCode, Log("a")));
        Assert.Equal((4, "b"), (ended["b"].ExitCode, Log("b")));
        Assert.Equal((5, "prec c postc"), (ended["c"].ExitCode, Log("c")));
        Assert.Equal((0, "d:echo $npm_lifecycle_event:$npm_lifecycle_script >> d.log postd"), (ended["d"].ExitCode, Log("d")));

        string Log(string name) => string.Join(' ', File.ReadAllLines(repo.File($"{name}.log")));
    }

    [Fact]
    public void Discover_NpmrcChangesHowScriptsRun_EveryScriptRunsThroughNpm()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = "node server.js" });
        File.WriteAllText(stack.File(".npmrc"), "; team settings\nregistry=https://registry.example/\nscript-shell = /bin/bash\n");

        var web = Assert.Single(PackageJsonDiscovery.Discover(stack.Path, directStart: true).Scripts);

        Assert.Equal(("npm", "package.json (npm)"), (web.Executable, web.Source));
        Assert.Empty(web.Environment);
    }

    [Fact]
    public void Discover_ScriptReadsAnNpmConfigVariableNotSet_OnlyThatOneRunsThroughNpm()
    {
        using var stack = new StackDirectory(new Dictionary<string, string>
        {
            ["port"] = "node server.js --port $npm_config_port",
            ["agent"] = "echo $npm_config_user_agent",
            ["prewatch"] = "echo ${npm_config_registry}",
            ["watch"] = "tsc -w",
        });

        var scripts = PackageJsonDiscovery.Discover(stack.Path, directStart: true).Scripts.ToDictionary(s => s.Name, s => s.Executable);

        Assert.Equal("npm", scripts["port"]);
        Assert.Equal("/bin/sh", scripts["agent"]);
        Assert.Equal("npm", scripts["watch"]); // its pre script reads one
    }

    [Theory]
    [InlineData("yarn.lock", "yarn")]
    [InlineData("pnpm-lock.yaml", "pnpm")]
    [InlineData("bun.lock", "bun")]
    public void Discover_AnotherPackageManager_RunsThroughIt(string lockfile, string manager)
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["dev"] = "vite" });
        File.WriteAllText(stack.File(lockfile), string.Empty);

        var dev = Assert.Single(PackageJsonDiscovery.Discover(stack.Path, directStart: true).Scripts);

        Assert.Equal((manager, $"package.json ({manager})"), (dev.Executable, dev.Source));
    }

    [Fact]
    public void Discover_DirectStartOff_RunsThroughNpm()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["dev"] = "vite" });

        var dev = Assert.Single(PackageJsonDiscovery.Discover(stack.Path, directStart: false).Scripts);

        Assert.Equal(("npm", "package.json (npm)"), (dev.Executable, dev.Source));
    }

    private static async Task<Dictionary<string, string>> RunAndReadEnvironmentAsync(StackDirectory repo, bool directStart)
    {
        var output = repo.File($"env-{directStart}.txt");
        var catalog = PackageJsonDiscovery.Discover(repo.Path, directStart);
        var dev = Assert.Single(catalog.Scripts);
        Assert.Equal("@shop/web:dev", dev.Name);
        // Where the script writes, passed the way a user's own variable would reach it: through the node's environment.
        var withOutput = new ScriptCatalog(catalog.Directory, [dev with { Environment = dev.Environment.SetItem("OUT", output) }]);
        await using var node = new SupervisorHarness(withOutput);

        await node[dev.Name].StartAsync(TestContext.Current.CancellationToken);
        var ended = await node.WaitForAsync(dev.Name, p => p.ExitedAt is not null, "ended");

        Assert.True(ended.ExitCode == 0, $"{dev.Source} exited {ended.ExitCode}: {ended.LastLine}");
        return File.ReadAllLines(output).Select(l => l.Split('=', 2)).Where(p => p.Length == 2).ToDictionary(p => p[0], p => p[1]);
    }
}
