using Brummer.Grains.Discovery;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

/// <summary>Every refusal of a brummer.yaml names the file, line and column, and what is accepted there.</summary>
public sealed class StackFileErrorTests
{
    private static readonly Dictionary<string, string> NoEnvironment = [];

    private static string Refusal(string yaml, string node = "a", string? packageJson = null, params (string Name, string Content)[] files)
    {
        using var stack = packageJson is null
            ? StackDirectory.WithFiles([("brummer.yaml", yaml), .. files])
            : new StackDirectory(new Dictionary<string, string>(), packageJson);
        if (packageJson is not null)
        {
            stack.Write("brummer.yaml", yaml);
        }

        var error = Assert.Throws<ScriptDiscoveryException>(() => NodeDefinitions.Load(stack.Path, node, NoEnvironment));
        Assert.StartsWith(stack.File("brummer.yaml") + ":", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', error.Message);
        return error.Message[(stack.File("brummer.yaml").Length + 1)..];
    }

    [Fact]
    public void Load_UnknownProcessKey_ListsAllowedKeysAndSuggestsClosest()
    {
        var message = Refusal("processes:\n  web:\n    comand: node server.js\n");

        Assert.StartsWith("3:5: unknown key 'comand' in processes.web (did you mean 'command'?); allowed: command, script, working_dir, environment, env_file, node, depends_on, readiness_probe, liveness_probe, availability, shutdown, autostart.", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownTopLevelKey_ListsAllowedKeys()
    {
        var message = Refusal("version: '0.5'\nproceses:\n  web:\n    command: x\n");

        Assert.Equal("2:1: unknown key 'proceses' in the top level (did you mean 'processes'?); allowed: version, environment, env_file, processes.", message);
    }

    [Fact]
    public void Load_UnknownProbeKey_NamesTheProbe()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n    readiness_probe:\n      exec: {command: 'true'}\n      timout_seconds: 2\n");

        Assert.StartsWith("6:7: unknown key 'timout_seconds' in processes.web.readiness_probe (did you mean 'timeout_seconds'?); allowed: ", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_NumberWrittenAsWord_SaysItMustBeANumber()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n    readiness_probe:\n      tcp: {port: 80}\n      timeout_seconds: ten\n");

        Assert.Equal("6:24: processes.web.readiness_probe.timeout_seconds must be a number of seconds (greater than 0, e.g. 10); got 'ten'.", message);
    }

    [Theory]
    [InlineData("    autostart: maybe\n", "4:16: processes.web.autostart must be true or false; got 'maybe'.")]
    [InlineData("    availability: {restart: always, max_restarts: -1}\n", "4:51: processes.web.availability.max_restarts must be a whole number of at least 0; got '-1'.")]
    [InlineData("    availability: {backoff_seconds: 5, max_backoff_seconds: 2}\n", "4:61: processes.web.availability.max_backoff_seconds (2) must be at least backoff_seconds (5).")]
    [InlineData("    environment: [PORT]\n", "4:19: processes.web.environment entries must be NAME=value; this one has no '='.")]
    [InlineData("    environment: {PORT: {a: 1}}\n", "4:25: processes.web.environment.PORT must be a string, number or boolean; got a mapping.")]
    [InlineData("    environment: 'PORT=1'\n", "4:18: processes.web.environment must be a mapping (NAME: value) or a list of NAME=value; got 'PORT=1'.")]
    [InlineData("    node: [a, b]\n", "4:11: processes.web.node must be a string; got a list.")]
    [InlineData("    depends_on: db\n", "4:17: processes.web.depends_on must be a list of process names or a mapping of name to {condition: ...}; got 'db'.")]
    [InlineData("    shutdown: {timeout_seconds: 0}\n", "4:33: processes.web.shutdown.timeout_seconds must be a number of seconds greater than 0 and at most 604800; got '0'.")]
    public void Load_WrongType_SaysWhatIsAccepted(string line, string expected)
    {
        Assert.Equal(expected, Refusal("processes:\n  web:\n    command: x\n" + line));
    }

    [Fact]
    public void Load_UnknownDependency_NamesWhatExists()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n    depends_on: [dbb]\n  db:\n    command: y\n", packageJson: """{ "scripts": { "build": "tsc" } }""");

        Assert.Equal("4:18: processes.web.depends_on: unknown process 'dbb' (did you mean 'db'?); processes: db, web; package.json scripts: build; write NODE/NAME for a process of another node.", message);
    }

    [Fact]
    public void Load_DependencyOnNodeWithoutThatProcess_NamesTheProcessesThere()
    {
        var yaml = "processes:\n  web:\n    command: x\n    depends_on:\n      b/cache: {condition: process_started}\n  db:\n    command: y\n    node: b\n";

        var message = Refusal(yaml);

        Assert.Equal("5:7: processes.web.depends_on: node 'b' has no process 'cache'; processes that run on b: db, web.", message);
    }

    [Fact]
    public void Load_DependencyWithWrongNode_SaysWhereItRuns()
    {
        var yaml = "processes:\n  web:\n    command: x\n    node: a\n    depends_on: [a/db]\n  db:\n    command: y\n    node: b\n";

        var message = Refusal(yaml);

        Assert.Equal("5:18: processes.web.depends_on: process 'db' runs on node 'b', not 'a'; write b/db.", message);
    }

    [Fact]
    public void Load_UnknownCondition_ListsConditions()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n    depends_on:\n      db: {condition: service_healthy}\n  db:\n    command: y\n");

        Assert.Equal("5:23: processes.web.depends_on.db.condition must be one of process_started, process_healthy, process_completed_successfully; got 'service_healthy'.", message);
    }

    [Fact]
    public void Load_DependencyCycle_ShowsItsPath()
    {
        var yaml = "processes:\n  a:\n    command: x\n    depends_on: [b]\n  b:\n    command: x\n    depends_on: [c]\n  c:\n    command: x\n    depends_on: [a]\n  d:\n    command: x\n    depends_on: [a]\n";

        var message = Refusal(yaml);

        Assert.StartsWith("10:18: processes.c.depends_on: dependency cycle a -> b -> c -> a;", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_CycleAcrossNodes_IsFoundWhicheverNodeReads()
    {
        var yaml = "processes:\n  web:\n    command: x\n    node: a\n    depends_on: [b/api]\n  api:\n    command: x\n    node: b\n    depends_on: [a/web]\n";

        var message = Refusal(yaml, node: "c");

        Assert.StartsWith("9:18: processes.api.depends_on: dependency cycle web -> api -> web;", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_SelfDependency_IsACycle()
    {
        Assert.StartsWith("4:18: processes.a.depends_on: dependency cycle a -> a;", Refusal("processes:\n  a:\n    command: x\n    depends_on: [a]\n"), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("processes:\n  web:\n    command: x\n    script: dev\n", "3:5: processes.web has both of command and script; give exactly one")]
    [InlineData("processes:\n  web:\n    working_dir: src\n", "3:5: processes.web has neither of command and script; give exactly one")]
    public void Load_CommandAndScript_ExactlyOneIsRequired(string yaml, string expected)
    {
        Assert.StartsWith(expected, Refusal(yaml), StringComparison.Ordinal);
    }

    [Fact]
    public void Load_DuplicateKey_NamesIt()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n  web:\n    command: y\n");

        Assert.Equal("4:3: duplicate key 'web'; each key may appear once in a mapping.", message);
    }

    [Theory]
    [InlineData("processes:\n  a/b:\n    command: x\n", "2:3: process name 'a/b' cannot be empty or contain '/' or control characters.")]
    [InlineData("processes:\n  \"a\\tb\":\n    command: x\n", "2:3: process name 'a\\u0009b' cannot be empty or contain '/' or control characters.")]
    [InlineData("processes:\n  \"\":\n    command: x\n", "2:3: process name '' cannot be empty or contain '/' or control characters.")]
    [InlineData("processes:\n  web:\n    command: x\n    node: x/y\n", "4:11: node name 'x/y' cannot be empty or contain '/' or control characters.")]
    public void Load_InvalidName_IsRefused(string yaml, string expected)
    {
        Assert.Equal(expected, Refusal(yaml));
    }

    [Fact]
    public void Load_UnknownRestartMode_ListsModes()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n    availability:\n      restart: sometimes\n");

        Assert.Equal("5:16: processes.web.availability.restart must be one of no, on_failure, always; got 'sometimes'.", message);
    }

    [Theory]
    [InlineData("SIGFOO")]
    [InlineData("0")]
    [InlineData("65")]
    public void Load_BadSignal_SaysWhatIsAccepted(string signal)
    {
        var message = Refusal($"processes:\n  web:\n    command: x\n    shutdown:\n      signal: {signal}\n");

        Assert.Equal($"5:15: processes.web.shutdown.signal must be a signal name (e.g. SIGTERM, SIGINT, SIGQUIT, SIGHUP, INT) or a number from 1 to 64; got '{signal}'.", message);
    }

    [Theory]
    [InlineData("{initial_delay_seconds: 1}", "5:7: processes.web.readiness_probe needs exactly one of http_get, tcp, exec, log; got none.")]
    [InlineData("{tcp: {port: 1}, exec: {command: 'true'}}", "5:7: processes.web.readiness_probe needs exactly one of http_get, tcp, exec, log; got tcp and exec.")]
    [InlineData("{http_get: {url: 'http://x/', port: 80}}", "5:37: processes.web.readiness_probe.http_get takes url or host/port/path/scheme, not both; drop port or url.")]
    [InlineData("{http_get: {path: /health}}", "5:18: processes.web.readiness_probe.http_get needs url, or port (with host, default 127.0.0.1, path, default /, and scheme, default http).")]
    [InlineData("{http_get: {url: 'ftp://x/'}}", "5:24: processes.web.readiness_probe.http_get.url must be an absolute http:// or https:// URL (e.g. http://127.0.0.1:8080/health); got 'ftp://x/'.")]
    [InlineData("{http_get: {port: 80, status: 42}}", "5:37: processes.web.readiness_probe.http_get.status must be a whole number from 100 to 599; got '42'.")]
    [InlineData("{http_get: {port: 80, scheme: gopher}}", "5:37: processes.web.readiness_probe.http_get.scheme must be http or https; got 'gopher'.")]
    [InlineData("{tcp: {host: localhost}}", "5:13: processes.web.readiness_probe.tcp needs port (and host, default 127.0.0.1).")]
    [InlineData("{tcp: {port: 70000}}", "5:20: processes.web.readiness_probe.tcp.port must be a whole number from 1 to 65535; got '70000'.")]
    [InlineData("{tcp: {port: 80, host: 'not a host'}}", "5:30: processes.web.readiness_probe.tcp.host must be a host name or IP address; got 'not a host'.")]
    [InlineData("{exec: {}}", "5:14: processes.web.readiness_probe.exec needs command.")]
    [InlineData("{exec: 'curl x'}", "5:14: processes.web.readiness_probe.exec must be a mapping with command; got 'curl x'.")]
    [InlineData("{log: {regex: x}}", "5:14: unknown key 'regex' in processes.web.readiness_probe.log; allowed: pattern.")]
    public void Load_BadProbe_SaysWhatIsAccepted(string probe, string expected)
    {
        Assert.Equal(expected, Refusal($"processes:\n  web:\n    command: x\n    readiness_probe:\n      {probe}\n"));
    }

    [Fact]
    public void Load_LogPatternNotARegex_QuotesTheRegexError()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n    liveness_probe:\n      log: {pattern: 'ready ('}\n");

        Assert.StartsWith("5:22: processes.web.liveness_probe.log.pattern is not a valid .NET regular expression: ", message, StringComparison.Ordinal);
        Assert.Contains("Not enough )'s", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_UnknownScript_ListsTheScripts()
    {
        var message = Refusal("processes:\n  web:\n    script: devv\n", packageJson: """{ "scripts": { "dev": "vite", "build": "tsc" } }""");

        Assert.Equal("3:13: processes.web.script: package.json has no script 'devv' (did you mean 'dev'?); scripts: build, dev.", message);
    }

    [Fact]
    public void Load_ScriptWithoutPackageJson_SaysOneIsNeeded()
    {
        var message = Refusal("processes:\n  web:\n    script: dev\n");

        Assert.Equal("3:13: processes.web.script names a package.json script, but there is no package.json beside brummer.yaml.", message);
    }

    [Fact]
    public void Load_MissingEnvFile_NamesIt()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", "env_file: [base.env, missing.env]\nprocesses: {}\n"), ("base.env", "A=1\n"));

        var error = Assert.Throws<ScriptDiscoveryException>(() => NodeDefinitions.Load(stack.Path, "a", NoEnvironment));

        Assert.Equal($"{stack.File("brummer.yaml")}:1:22: env_file: 'missing.env' not found ({stack.File("missing.env")}); paths are relative to brummer.yaml's directory.", error.Message);
    }

    [Fact]
    public void Load_MissingWorkingDirectory_NamesIt()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n    working_dir: api\n");

        Assert.StartsWith("4:18: processes.web.working_dir: directory '", message, StringComparison.Ordinal);
        Assert.Contains("api' does not exist", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_MalformedYaml_NamesLineAndColumn()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n   node: a\n");

        Assert.StartsWith("4:4: invalid YAML: ", message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("processes:\n  broken: [\n  web:\n    command: x\n")]
    [InlineData("processes:\n  web: {command: 'x\n")]
    [InlineData("processes: [")]
    public void Load_UnterminatedYaml_IsARefusalWithAPosition_NeverAParserCrash(string yaml)
    {
        var message = Refusal(yaml);

        Assert.Matches(@"^\d+:\d+: invalid YAML", message);
    }

    [Fact]
    public void Load_RequiredVariableUnset_SaysWhichAndWhere()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n    environment:\n      URL: ${API_URL:?set it in .env}\n");

        Assert.Equal("5:12: processes.web.environment.URL: API_URL is required: set it in .env.", message);
    }

    [Fact]
    public void Load_UnterminatedVariable_SaysHowToWriteADollar()
    {
        var message = Refusal("processes:\n  web:\n    command: x\n    environment:\n      URL: ${API_URL\n");

        Assert.Equal("5:12: processes.web.environment.URL: unterminated '${' at character 1; close it with '}' or write '$$' for a literal '$'.", message);
    }

    [Fact]
    public void Load_ErrorInAnotherNodesProcess_IsRefusedHereToo()
    {
        var message = Refusal("processes:\n  db:\n    command: x\n    node: b\n    shutdown: {signal: TERMINATE}\n", node: "a");

        Assert.StartsWith("5:24: processes.db.shutdown.signal must be a signal name", message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_TopLevelNotAMapping_SaysWhatIsExpected()
    {
        Assert.Equal("1:1: brummer.yaml must be a mapping with processes (and optionally version, environment, env_file); got a list.", Refusal("- web\n"));
    }

    [Fact]
    public void Load_SecondDocument_IsRefused()
    {
        Assert.StartsWith("3:1: a second YAML document", Refusal("processes: {}\n---\nprocesses: {}\n"), StringComparison.Ordinal);
    }
}
