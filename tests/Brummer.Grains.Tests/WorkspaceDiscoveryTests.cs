using Brummer.Grains.Discovery;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

public sealed class WorkspaceDiscoveryTests
{
    [Fact]
    public void Discover_NpmWorkspacesArray_ListsEachPackagesScriptsAsPackageColonScript()
    {
        using var repo = Monorepo("""{ "name": "shop", "workspaces": ["packages/*"], "scripts": { "lint": "eslint ." } }""");
        Write(repo, "packages/web/package.json", """{ "name": "@shop/web", "scripts": { "dev": "vite", "build": "vite build" } }""");
        Write(repo, "packages/api/package.json", """{ "scripts": { "start": "node server.js" } }""");
        Write(repo, "packages/notes/README.md", "no package here");

        var catalog = PackageJsonDiscovery.Discover(repo.Path, directStart: false);

        Assert.Equal(["@shop/web:build", "@shop/web:dev", "api:start", "lint"], catalog.Scripts.Select(s => s.Name));
        var dev = Assert.Single(catalog.Scripts, s => s.Name == "@shop/web:dev");
        Assert.Equal(("vite", "npm", Path.Combine(repo.Path, "packages", "web")), (dev.Command, dev.Executable, dev.WorkingDirectory));
        Assert.Equal(["run", "dev"], dev.Arguments);
        Assert.Equal("packages/web/package.json (npm)", dev.Source);
        var lint = Assert.Single(catalog.Scripts, s => s.Name == "lint");
        Assert.Equal((repo.Path, "package.json (npm)"), (lint.WorkingDirectory, lint.Source));
    }

    [Fact]
    public void Discover_WorkspacesObjectWithExclusionAndDeepGlob_ListsOnlyTheMatchedPackages()
    {
        using var repo = Monorepo("""{ "private": true, "workspaces": { "packages": ["apps/**", "!apps/legacy", "tools/cli"], "nohoist": ["**/react"] } }""");
        Write(repo, "apps/shop/web/package.json", """{ "name": "web", "scripts": { "dev": "vite" } }""");
        Write(repo, "apps/legacy/package.json", """{ "name": "legacy", "scripts": { "dev": "grunt" } }""");
        Write(repo, "apps/shop/web/node_modules/dep/package.json", """{ "name": "dep", "scripts": { "dev": "x" } }""");
        Write(repo, "tools/cli/package.json", """{ "name": "cli", "scripts": { "build": "tsc" } }""");
        Write(repo, "tools/other/package.json", """{ "name": "other", "scripts": { "build": "tsc" } }""");

        var catalog = PackageJsonDiscovery.Discover(repo.Path, directStart: false);

        Assert.Equal(["cli:build", "web:dev"], catalog.Scripts.Select(s => s.Name));
    }

    [Fact]
    public void Discover_PnpmWorkspaceYaml_ListsItsPackages_RunByPnpmInEachDirectory()
    {
        using var repo = Monorepo("""{ "name": "mono", "scripts": { "dev": "turbo dev" } }""");
        Write(repo, "pnpm-workspace.yaml", "packages:\n  - 'apps/*'\n  - \"libs/{ui,core}\"\n");
        Write(repo, "apps/web/package.json", """{ "name": "@mono/web", "scripts": { "dev": "next dev" } }""");
        Write(repo, "libs/ui/package.json", """{ "name": "@mono/ui", "scripts": { "build": "tsup" } }""");
        Write(repo, "libs/extra/package.json", """{ "name": "@mono/extra", "scripts": { "build": "tsup" } }""");

        var catalog = PackageJsonDiscovery.Discover(repo.Path);

        Assert.Equal(["@mono/ui:build", "@mono/web:dev", "dev"], catalog.Scripts.Select(s => s.Name));
        var web = Assert.Single(catalog.Scripts, s => s.Name == "@mono/web:dev");
        Assert.Equal(("pnpm", Path.Combine(repo.Path, "apps", "web"), "apps/web/package.json (pnpm)"), (web.Executable, web.WorkingDirectory, web.Source));
        Assert.Equal(["run", "dev"], web.Arguments);
    }

    [Fact]
    public void Discover_TwoPackagesWithOneName_NamesBothFiles()
    {
        using var repo = Monorepo("""{ "workspaces": ["a", "b"] }""");
        Write(repo, "a/package.json", """{ "name": "same", "scripts": { "dev": "x" } }""");
        Write(repo, "b/package.json", """{ "name": "same", "scripts": { "dev": "y" } }""");

        var error = Assert.Throws<ScriptDiscoveryException>(() => PackageJsonDiscovery.Discover(repo.Path, directStart: false));

        Assert.Contains(Path.Combine(repo.Path, "a", "package.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains(Path.Combine(repo.Path, "b", "package.json"), error.Message, StringComparison.Ordinal);
        Assert.Contains("\"same:dev\"", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("package.json", """{ "workspaces": "packages/*" }""", "\"workspaces\" must be an array of globs")]
    [InlineData("pnpm-workspace.yaml", "packages: 'apps/*'\n", "line 1, column 11: \"packages\" must be a list")]
    [InlineData("pnpm-workspace.yaml", "packages:\n  - [apps\n", ":3:1: invalid YAML: ")]
    [InlineData("package.json", """{ "workspaces": ["apps/{web,api"] }""", "workspace glob \"apps/{web,api\" is not valid")]
    public void Discover_MalformedWorkspaceDeclaration_NamesTheFileAndWhatIsAccepted(string file, string content, string expected)
    {
        using var repo = Monorepo("""{ "scripts": { "dev": "x" } }""");
        Write(repo, file, content);

        var error = Assert.Throws<ScriptDiscoveryException>(() => PackageJsonDiscovery.Discover(repo.Path, directStart: false));

        Assert.StartsWith(Path.Combine(repo.Path, file), error.Message, StringComparison.Ordinal);
        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Discover_MalformedWorkspacePackageJson_NamesThatFile()
    {
        using var repo = Monorepo("""{ "workspaces": ["packages/*"] }""");
        Write(repo, "packages/web/package.json", """{ "scripts": { "dev": 1 } }""");

        var error = Assert.Throws<ScriptDiscoveryException>(() => PackageJsonDiscovery.Discover(repo.Path, directStart: false));

        Assert.Equal($"{Path.Combine(repo.Path, "packages", "web", "package.json")}: script \"dev\" must be a string command.", error.Message);
    }

    internal static StackDirectory Monorepo(string packageJson) => new(new Dictionary<string, string>(), packageJson);

    internal static void Write(StackDirectory repo, string relative, string content)
    {
        var path = Path.Combine(repo.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, content);
    }
}
