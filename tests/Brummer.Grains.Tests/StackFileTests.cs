using System.Collections.Immutable;
using Brummer.Grains.Discovery;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

public sealed class StackFileTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    private static ImmutableSortedDictionary<string, string> Env(params (string Key, string Value)[] pairs) =>
        pairs.ToImmutableSortedDictionary(p => p.Key, p => p.Value, StringComparer.Ordinal);

    [Fact]
    public void Load_FileUsingEveryKey_GivesTheDefinitionsItDescribes()
    {
        const string Yaml = """
            version: "0.5"
            env_file: shared.env
            environment:
              LOG_LEVEL: debug
            processes:
              api:
                command: dotnet run --urls http://127.0.0.1:$API_PORT
                working_dir: api
                node: a
                env_file: [api.env]
                environment:
                  - API_URL=http://127.0.0.1:${API_PORT:-5000}/
                depends_on:
                  b/db:
                    condition: process_healthy
                  migrate:
                    condition: process_completed_successfully
                readiness_probe:
                  http_get:
                    host: 127.0.0.1
                    port: ${API_PORT}
                    path: /health?deep=1
                    status: 200
                  initial_delay_seconds: 1
                  period_seconds: 0.5
                  timeout_seconds: 2
                  success_threshold: 2
                  failure_threshold: 5
                liveness_probe:
                  tcp_socket:
                    port: 6000
                availability:
                  restart: on_failure
                  backoff_seconds: 2
                  max_backoff_seconds: 60
                  max_restarts: 5
                  stable_seconds: 20
                shutdown:
                  signal: SIGINT
                  timeout_seconds: 3
                autostart: true
              migrate:
                command: ./migrate.sh
                autostart: false
                readiness_probe:
                  exec:
                    command: test -f migrated
              worker:
                script: work
                depends_on: [api]
                liveness_probe:
                  log:
                    pattern: "^ready on \\d+$"
                availability:
                  restart: always
                shutdown:
                  signal: 2
              db:
                command: ./fake-db
                node: b
                readiness_probe:
                  http_get:
                    url: http://127.0.0.1:5432/ready
            """;
        using var stack = new StackDirectory(new Dictionary<string, string> { ["work"] = "node worker.js" });
        stack.Write("brummer.yaml", Yaml);
        stack.Write("shared.env", "API_PORT=5100\n");
        stack.Write("api.env", "SECRET=s3cret\n");
        Directory.CreateDirectory(stack.File("api"));

        var catalog = NodeDefinitions.Load(stack.Path, "a", NoEnvironment);

        Assert.Equal(["api", "migrate", "work", "worker"], catalog.Scripts.Select(s => s.Name));
        Assert.True(catalog.TryGet("api", out var api));
        var expectedApi = new ScriptDefinition(
            "api",
            "dotnet run --urls http://127.0.0.1:$API_PORT",
            "/bin/sh",
            ["-c", "dotnet run --urls http://127.0.0.1:$API_PORT"],
            stack.File("api"),
            "brummer.yaml")
        {
            Environment = Env(("API_PORT", "5100"), ("API_URL", "http://127.0.0.1:5100/"), ("LOG_LEVEL", "debug"), ("SECRET", "s3cret")),
            DependsOn = [new DependencyDefinition("b", "db", DependencyCondition.ProcessHealthy), new DependencyDefinition(null, "migrate", DependencyCondition.ProcessCompletedSuccessfully)],
            Readiness = new ProbeDefinition(new HttpGetCheck(new Uri("http://127.0.0.1:5100/health?deep=1"), 200))
            {
                InitialDelay = TimeSpan.FromSeconds(1),
                Period = TimeSpan.FromSeconds(0.5),
                Timeout = TimeSpan.FromSeconds(2),
                SuccessThreshold = 2,
                FailureThreshold = 5,
            },
            Liveness = new ProbeDefinition(new TcpCheck("127.0.0.1", 6000)),
            Availability = new RestartPolicy(RestartMode.OnFailure, TimeSpan.FromSeconds(2), TimeSpan.FromSeconds(60), 5, TimeSpan.FromSeconds(20)),
            Shutdown = new ShutdownPolicy(2, TimeSpan.FromSeconds(3)),
            Autostart = true,
        };
        Assert.Equal(expectedApi, api);

        Assert.True(catalog.TryGet("migrate", out var migrate));
        Assert.False(migrate.Autostart);
        Assert.Equal(new ProbeDefinition(new ExecCheck("test -f migrated")), migrate.Readiness);
        Assert.Equal(stack.Path, migrate.WorkingDirectory);
        Assert.Equal(Env(("API_PORT", "5100"), ("LOG_LEVEL", "debug")), migrate.Environment);

        Assert.True(catalog.TryGet("worker", out var worker));
        var work = PackageJsonDiscovery.Discover(stack.Path).Scripts.Single(s => s.Name == "work");
        Assert.Equal(work.Executable, worker.Executable);
        Assert.Equal(work.Arguments, worker.Arguments);
        Assert.Equal("node worker.js", worker.Command);
        Assert.Equal($"brummer.yaml, {work.Source}", worker.Source);
        Assert.True(worker.Autostart);
        Assert.Equal([new DependencyDefinition(null, "api", DependencyCondition.ProcessStarted)], worker.DependsOn);
        Assert.Equal(new LogCheck("^ready on \\d+$"), worker.Liveness!.Check);
        Assert.Equal(RestartPolicy.Never with { Mode = RestartMode.Always }, worker.Availability);
        Assert.Equal(new ShutdownPolicy(2, null), worker.Shutdown);

        Assert.True(catalog.TryGet("work", out var plain));
        Assert.False(plain.Autostart);
        Assert.Equal(work, plain);

        Assert.Equal([stack.File("package.json"), stack.File("brummer.yaml"), stack.File("shared.env"), stack.File("api.env")], catalog.Sources);
    }

    [Fact]
    public void Load_TwoNodesReadingOneFile_EachGetsItsOwnAndTheUnplacedProcesses()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", """
            processes:
              web: {command: ./web, node: a}
              db: {command: ./db, node: b}
              tail: {command: ./tail}
            """));

        var onA = NodeDefinitions.Load(stack.Path, "a", NoEnvironment);
        var onB = NodeDefinitions.Load(stack.Path, "b", NoEnvironment);
        var onC = NodeDefinitions.Load(stack.Path, "c", NoEnvironment);

        Assert.Equal(["tail", "web"], onA.Scripts.Select(s => s.Name));
        Assert.Equal(["db", "tail"], onB.Scripts.Select(s => s.Name));
        Assert.Equal(["tail"], onC.Scripts.Select(s => s.Name));
        Assert.All(onA.Scripts.Concat(onB.Scripts), s => Assert.True(s.Autostart));
    }

    [Fact]
    public void Load_DependencyOnAProcessPlacedElsewhere_BecomesThatNodesDependency()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", """
            processes:
              db: {command: ./db, node: b}
              cache: {command: ./cache}
              web:
                command: ./web
                node: a
                depends_on:
                  db: {condition: process_healthy}
                  cache:
                  c/queue: {condition: process_started}
              tail:
                command: ./tail
                depends_on: [db, b/cache]
            """));

        var onA = NodeDefinitions.Load(stack.Path, "a", NoEnvironment);
        var onB = NodeDefinitions.Load(stack.Path, "b", NoEnvironment);

        Assert.True(onA.TryGet("web", out var web));
        Assert.Equal(
            [new("b", "db", DependencyCondition.ProcessHealthy), new(null, "cache", DependencyCondition.ProcessStarted), new("c", "queue", DependencyCondition.ProcessStarted)],
            web.DependsOn);
        Assert.True(onA.TryGet("tail", out var tailOnA));
        Assert.Equal([new("b", "db", DependencyCondition.ProcessStarted), new("b", "cache", DependencyCondition.ProcessStarted)], tailOnA.DependsOn);
        Assert.True(onB.TryGet("tail", out var tailOnB));
        Assert.Equal([new(null, "db", DependencyCondition.ProcessStarted), new(null, "cache", DependencyCondition.ProcessStarted)], tailOnB.DependsOn);
        Assert.False(onB.TryGet("web", out _));
    }

    [Fact]
    public void Load_YamlProcessNamedLikeAScript_WinsAndTheScriptStaysReachable()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["dev"] = "vite", ["lint"] = "eslint ." });
        stack.Write("brummer.yaml", "processes:\n  dev:\n    script: dev\n    environment: {PORT: 5173}\n    autostart: false\n  check:\n    command: ./check\n    depends_on: [lint]\n");

        var catalog = NodeDefinitions.Load(stack.Path, "a", NoEnvironment);

        Assert.Equal(["check", "dev", "lint"], catalog.Scripts.Select(s => s.Name));
        Assert.True(catalog.TryGet("dev", out var dev));
        // Started exactly as the package.json script is (through npm or directly), with the yaml's variables on top.
        var script = PackageJsonDiscovery.Discover(stack.Path).Scripts.Single(s => s.Name == "dev");
        Assert.Equal($"brummer.yaml, {script.Source}", dev.Source);
        Assert.Equal(script.Executable, dev.Executable);
        Assert.Equal(script.Arguments, dev.Arguments);
        Assert.Equal(script.Environment.SetItem("PORT", "5173"), dev.Environment);
        Assert.True(catalog.TryGet("check", out var check));
        Assert.Equal([new DependencyDefinition(null, "lint", DependencyCondition.ProcessStarted)], check.DependsOn);
    }

    [Fact]
    public void Load_OnlyAPackageJson_KeepsItsScriptsAsBefore()
    {
        using var stack = new StackDirectory(new Dictionary<string, string> { ["web"] = "node server.js" });

        var catalog = NodeDefinitions.Load(stack.Path, "a", NoEnvironment);

        var web = Assert.Single(catalog.Scripts);
        Assert.Equal(PackageJsonDiscovery.Discover(stack.Path).Scripts[0], web);
        Assert.False(web.Autostart);
        Assert.Equal([stack.File("package.json")], catalog.Sources);
    }

    [Fact]
    public void Load_ShortFileName_IsReadToo()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yml", "processes:\n  web:\n    command: ./web\n"));

        var web = Assert.Single(NodeDefinitions.Load(stack.Path, "a", NoEnvironment).Scripts);

        Assert.Equal("brummer.yml", web.Source);
    }

    [Fact]
    public void Load_AnchorsUnderExtensionKeys_AreSharedBetweenProcesses()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", """
            x-restart: &restart
              restart: on_failure
              max_restarts: 3
            processes:
              a: {command: ./a, availability: *restart}
              b: {command: ./b, availability: *restart}
            """));

        var catalog = NodeDefinitions.Load(stack.Path, "n", NoEnvironment);

        var expected = RestartPolicy.Never with { Mode = RestartMode.OnFailure, MaxRestarts = 3 };
        Assert.All(catalog.Scripts, s => Assert.Equal(expected, s.Availability));
        Assert.Equal(2, catalog.Scripts.Length);
    }

    [Fact]
    public void Load_EmptyStackFile_HasNoProcesses()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", "# nothing yet\n"));

        Assert.Empty(NodeDefinitions.Load(stack.Path, "a", NoEnvironment).Scripts);
    }

    [Fact]
    public void Load_BothSpellings_IsRefused()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", "processes: {}\n"), ("brummer.yml", "processes: {}\n"));

        var error = Assert.Throws<ScriptDiscoveryException>(() => NodeDefinitions.Load(stack.Path, "a", NoEnvironment));

        Assert.Equal($"{stack.Path}: both brummer.yaml and brummer.yml exist; keep one.", error.Message);
    }

    [Fact]
    public void Load_NeitherFile_SaysWhatIsLookedFor()
    {
        using var stack = StackDirectory.WithFiles(("README.md", "hello"));

        var error = Assert.Throws<ScriptDiscoveryException>(() => NodeDefinitions.Load(stack.Path, "a", NoEnvironment));

        Assert.Equal($"{stack.Path}: no brummer.yaml or package.json; Brummer runs the processes of one or both. Pass --dir to point at a project.", error.Message);
    }

    [Fact]
    public void Load_AnotherNodesMissingEnvFile_IsThatNodesConcern()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", "processes:\n  db:\n    command: ./db\n    node: b\n    env_file: db.env\n"));

        Assert.Empty(NodeDefinitions.Load(stack.Path, "a", NoEnvironment).Scripts);
        var error = Assert.Throws<ScriptDiscoveryException>(() => NodeDefinitions.Load(stack.Path, "b", NoEnvironment));
        Assert.StartsWith($"{stack.File("brummer.yaml")}:5:15: processes.db.env_file: 'db.env' not found", error.Message, StringComparison.Ordinal);
    }
}
