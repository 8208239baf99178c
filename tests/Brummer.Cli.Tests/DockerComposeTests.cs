using System.CommandLine;
using System.CommandLine.Parsing;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Text.RegularExpressions;
using Brummer.Cli.Commands;
using Brummer.Clustering;
using Brummer.Grains.Discovery;
using Xunit.Sdk;
using YamlDotNet.RepresentationModel;

namespace Brummer.Cli.Tests;

/// <summary>
/// docker-compose.yml, the Dockerfile and .dockerignore, kept correct without a Docker engine (none runs here): the
/// compose file is read with a real YAML parser, every command a container runs is parsed by the real <c>brummer</c>
/// command line, and the addresses, ports, image paths, directories, certificates and token file they name must agree
/// with each other and with the repository. Each check is also run against a broken copy of the files, to show that it
/// can fail.
/// </summary>
public sealed class DockerComposeTests
{
    private const string Loopback = "127.0.0.1";

    [Fact]
    public void Compose_NodeAndGatewayCommands_ParseWithTheRealCli() => CheckCommandsParse(DockerStack.Load());

    [Fact]
    public void Compose_Nodes_HaveUniqueNames_AndAdvertiseTheirOwnServiceName() => CheckNodes(DockerStack.Load());

    [Fact]
    public void Compose_EveryClusterOption_PointsAtTheRedisService_AfterItIsHealthy() => CheckCluster(DockerStack.Load());

    [Fact]
    public void Compose_Gateway_ListensOnItsContainerInterface_AndIsPublishedOnHostLoopbackOnly() => CheckGateway(DockerStack.Load());

    [Fact]
    public void Compose_NodeAndGatewayServices_BuildFromTheRootDockerfile() => CheckBuild(DockerStack.Load());

    [Fact]
    public void Dockerfile_PublishesTheCliProject_AndItsEntrypointRunsTheDll() => CheckDockerfile(DockerStack.Load());

    [Fact]
    public void Compose_NodeDirectories_AreCopiedIntoTheImage_WithScriptsNpmRuns() => CheckNodeDirectories(DockerStack.Load());

    [Fact]
    public void Compose_EveryNodeAndGateway_RunsClusterTlsWithItsOwnCertificateFromTheCertsService_WhichKeepsTheCaKey() => CheckTls(DockerStack.Load());

    [Fact]
    public void Compose_Gateway_RequiresTheTokenOfTheTokensService_ReadOnly_AndThatServiceSucceedsAtEveryUp() => CheckTokens(DockerStack.Load());

    /// <summary>A project mounted from the repository is as good as one copied into the image (examples/cluster/README.md suggests it).</summary>
    [Theory]
    [InlineData("./examples/cluster/worker", true)]
    [InlineData("./examples/cluster/no-such-stack", false)]
    public void Compose_NodeDirectory_FromABindMount_IsCheckedLikeACopy(string source, bool accepted)
    {
        var stack = DockerStack.Load((compose: WorkerMountedFrom(source), dockerfile: null, dockerignore: null));

        var failure = Record.Exception(() => CheckNodeDirectories(stack));

        Assert.True(accepted == failure is null, failure?.Message ?? $"a mount of {source} was accepted");
    }

    /// <summary>Each check, on a copy of the files with one plausible mistake in it, must fail.</summary>
    [Theory]
    [InlineData("parse", "docker-compose.yml", "\"--advertise\", \"node-a\"", "\"--advertize\", \"node-a\"", "Unrecognized command or argument '--advertize'")]
    [InlineData("parse", "docker-compose.yml", "\"--port\", \"7777\"", "\"--port\", \"77777\"", "--port 77777 is not a TCP port")]
    [InlineData("parse", "docker-compose.yml", "command: [\"gateway\",", "command: [\"gateways\",", "`brummer gateways --cluster")]
    [InlineData("nodes", "docker-compose.yml", "\"--name\", \"node-b\"", "\"--name\", \"node-a\"", "'node-a' is used by both")]
    [InlineData("nodes", "docker-compose.yml", "\"--advertise\", \"node-b\"", "\"--advertise\", \"node-a\"", "must pass --advertise node-b")]
    [InlineData("nodes", "docker-compose.yml", "\"--advertise\", \"node-b\",\n", "\"--silo-port\", \"11112\",\n", "not '(the loopback default)'")]
    [InlineData("nodes", "docker-compose.yml", "stop_grace_period: 30s", "stop_grace_period: 3s", "leaves too little after --stop-timeout")]
    [InlineData("cluster", "docker-compose.yml", "redis://redis:6379\", \"--bind\"", "redis://cache:6379\", \"--bind\"", "'gateway': --cluster redis://cache:6379 should point at the redis service")]
    [InlineData("cluster", "docker-compose.yml", "redis://redis:6379\",\n      \"--advertise\", \"node-b\"", "redis://redis:6380\",\n      \"--advertise\", \"node-b\"", "'node-b': --cluster redis://redis:6380 should point at")]
    [InlineData("cluster", "docker-compose.yml", "\"--cluster\", \"redis://redis:6379\", \"--bind\"", "\"--cluster-id\", \"other\", \"--cluster\", \"redis://redis:6379\", \"--bind\"", "share one --cluster-id")]
    [InlineData("cluster", "docker-compose.yml", "node-b.key\", \"--tls-ca\", \"/srv/brummer/certs/ca.crt\"]\n    volumes:\n      - certs:/srv/brummer/certs:ro\n    depends_on:\n      redis:\n        condition: service_healthy", "node-b.key\", \"--tls-ca\", \"/srv/brummer/certs/ca.crt\"]\n    volumes:\n      - certs:/srv/brummer/certs:ro\n    depends_on:\n      redis:\n        condition: service_started", "'node-b' should depend on 'redis' with condition: service_healthy")]
    [InlineData("cluster", "docker-compose.yml", "test: [\"CMD\", \"redis-cli\", \"ping\"]", "test: [\"CMD\", \"true\"]", "healthcheck that runs redis-cli ping")]
    [InlineData("gateway", "docker-compose.yml", "\"127.0.0.1:7777:7777\"", "\"7777:7777\"", "'gateway' publishes *:7777->7777 on every interface")]
    [InlineData("gateway", "docker-compose.yml", "\"127.0.0.1:7777:7777\"", "\"127.0.0.1:7777:7778\"", "listens on 7777 but publishes")]
    [InlineData("gateway", "docker-compose.yml", "\"--bind\", \"0.0.0.0\"", "\"--bind\", \"127.0.0.1\"", "it must bind 0.0.0.0")]
    [InlineData("gateway", "docker-compose.yml", "    healthcheck:", "    ports: [\"6379:6379\"]\n    healthcheck:", "'redis' publishes *:6379->6379 on every interface")]
    [InlineData("build", "docker-compose.yml", "  gateway:\n    build: .", "  gateway:\n    build: ./src", "'gateway' should build from the root Dockerfile")]
    [InlineData("build", "docker-compose.yml", "  gateway:\n    build: .", "  gateway:\n    build: .\n    entrypoint: [\"sh\", \"-c\"]", "must keep the Dockerfile's ENTRYPOINT")]
    [InlineData("dockerfile", "Dockerfile", "-o /app", "-o /out", "is not the publish output /out/brummer.dll")]
    [InlineData("dockerfile", "Dockerfile", "src/Cli/Brummer.Cli.csproj", "src/Cli/Brummer.Cl.csproj", "is nothing the build context provides")]
    [InlineData("dockerfile", "Dockerfile", "\"/app/brummer.dll\"", "\"/app/Brummer.Cli.dll\"", "should run `dotnet /path/brummer.dll`")]
    [InlineData("dockerfile", "Dockerfile", " .editorconfig ./", " ./", "lacks .editorconfig")]
    [InlineData("dockerfile", ".dockerignore", "!Directory.Packages.props\n", "", "lacks Directory.Packages.props")]
    [InlineData("directories", "docker-compose.yml", "/srv/brummer/examples/hello-stack", "/srv/brummer/examples/hello-stak", "--dir /srv/brummer/examples/hello-stak is not in the image")]
    [InlineData("directories", "docker-compose.yml", "/srv/brummer/examples/cluster/worker", "/srv/brummer/examples/cluster", "examples/cluster/package.json does not reach the image")]
    [InlineData("directories", "Dockerfile", "examples/ /srv/brummer/examples/", "examples/ /srv/brummer/stacks/", "--dir /srv/brummer/examples/hello-stack is not in the image")]
    [InlineData("directories", ".dockerignore", "!examples/\n", "", "--dir /srv/brummer/examples/hello-stack is not in the image")]
    [InlineData("tls", "docker-compose.yml", "tokens.json\",\n      \"--tls-cert\", \"/srv/brummer/certs/gateway.crt\", \"--tls-key\", \"/srv/brummer/certs/gateway.key\", \"--tls-ca\", \"/srv/brummer/certs/ca.crt\"]", "tokens.json\"]", "'gateway' runs without cluster TLS")]
    [InlineData("tls", "docker-compose.yml", "\"/srv/brummer/certs/node-b.crt\", \"--tls-key\", \"/srv/brummer/certs/node-b.key\", \"--tls-ca\", \"/srv/brummer/certs/ca.crt\"]", "\"/srv/brummer/certs/node-b.crt\"]", "--tls-cert, --tls-key and --tls-ca go together")]
    [InlineData("tls", "docker-compose.yml", "\"/srv/brummer/certs/node-b.crt\", \"--tls-key\", \"/srv/brummer/certs/node-b.key\"", "\"/srv/brummer/certs/node-a.crt\", \"--tls-key\", \"/srv/brummer/certs/node-a.key\"", "'node-b' and 'node-a' share the certificate 'node-a'")]
    [InlineData("tls", "docker-compose.yml", "\"--tls-cert\", \"/srv/brummer/certs/node-a.crt\"", "\"--tls-cert\", \"/srv/brummer/certs/node-c.crt\"", "'node-a': --tls-cert /srv/brummer/certs/node-c.crt is not a certificate the 'certs' service makes")]
    [InlineData("tls", "docker-compose.yml", "\"--tls-key\", \"/srv/brummer/certs/node-a.key\"", "\"--tls-key\", \"/srv/brummer/certs/node-b.key\"", "'node-a': --tls-key /srv/brummer/certs/node-b.key is not the key of")]
    [InlineData("tls", "docker-compose.yml", "node-a.key\", \"--tls-ca\", \"/srv/brummer/certs/ca.crt\"", "node-a.key\", \"--tls-ca\", \"/srv/brummer/ca/ca.crt\"", "'node-a': --tls-ca /srv/brummer/ca/ca.crt is not the cluster CA's certificate")]
    [InlineData("tls", "docker-compose.yml", "      - certs:/srv/brummer/certs:ro\n      - tokens:", "      - certs:/srv/brummer/certs\n      - tokens:", "'gateway' must mount the certificates read-only")]
    [InlineData("tls", "docker-compose.yml", "      - certs:/srv/brummer/certs:ro\n      - tokens:", "      - certs:/srv/brummer/certs:ro\n      - ca:/srv/brummer/ca:ro\n      - tokens:", "'gateway' mounts the CA's volume 'ca'")]
    [InlineData("tls", "docker-compose.yml", "\"/srv/brummer/certs\", \"--force\"]", "\"/srv/brummer/certs\"]", "'certs' needs --force")]
    [InlineData("tls", "docker-compose.yml", "\"--ca\", \"/srv/brummer/ca\", ", "", "'certs' keeps the CA key in the volume the members mount")]
    [InlineData("tls", "docker-compose.yml", "      certs:\n        condition: service_completed_successfully\n    # tini", "      certs:\n        condition: service_started\n    # tini", "'node-a' should depend on 'certs' with condition: service_completed_successfully")]
    [InlineData("tls", "Dockerfile", "RUN install -d -o $APP_UID -g $APP_UID -m 0700 /srv/brummer/ca /srv/brummer/certs /srv/brummer/tokens\n", "", "the image should make /srv/brummer/certs, owned by $APP_UID")]
    [InlineData("parse", "docker-compose.yml", "\"--if-absent\"]", "\"--if-absnt\"]", "Unrecognized command or argument '--if-absnt'")]
    [InlineData("tokens", "docker-compose.yml", "  certs:\n    build: .", "  more-tokens:\n    build: .\n    command: [\"token\", \"create\", \"ci\", \"--role\", \"read\", \"--tokens\", \"/srv/brummer/tokens/tokens.json\", \"--if-absent\"]\n    volumes:\n      - tokens:/srv/brummer/tokens\n\n  certs:\n    build: .", "one service running `brummer token create`, not 2")]
    [InlineData("tokens", "docker-compose.yml", "\"/srv/brummer/tokens/tokens.json\", \"--if-absent\"]", "\"/srv/brummer/tokens/tokens.json\"]", "'tokens' needs --if-absent")]
    [InlineData("tokens", "docker-compose.yml", "\"--role\", \"admin\",", "\"--role\", \"read\",", "'tokens' makes a read token")]
    [InlineData("tokens", "docker-compose.yml", "\"--tokens\", \"/srv/brummer/tokens/tokens.json\", \"--if-absent\"]", "\"--if-absent\"]", "'tokens' should pass --tokens")]
    [InlineData("tokens", "docker-compose.yml", "\"--tokens\", \"/srv/brummer/tokens/tokens.json\", \"--if-absent\"]", "\"--tokens\", \"/srv/brummer/tokens.json\", \"--if-absent\"]", "'tokens' should write --tokens /srv/brummer/tokens.json into a named volume")]
    [InlineData("tokens", "docker-compose.yml", "      - tokens:/srv/brummer/tokens\n\n", "      - tokens:/srv/brummer/tokens:ro\n\n", "'tokens' must mount its volume writable")]
    [InlineData("tokens", "docker-compose.yml", "\"--tokens\", \"/srv/brummer/tokens/tokens.json\",\n", "", "'gateway' binds 0.0.0.0 without --tokens: it would refuse to start")]
    [InlineData("tokens", "docker-compose.yml", "\"--tokens\", \"/srv/brummer/tokens/tokens.json\",\n", "\"--insecure\",\n", "'gateway' passes --insecure")]
    [InlineData("tokens", "docker-compose.yml", "\"--tokens\", \"/srv/brummer/tokens/tokens.json\",\n", "\"--tokens\", \"/srv/brummer/tokens/tokens.json\", \"--insecure\",\n", "'gateway' passes --insecure")]
    [InlineData("tokens", "docker-compose.yml", "\"--tokens\", \"/srv/brummer/tokens/tokens.json\",\n", "\"--tokens\", \"/srv/brummer/tokens/other.json\",\n", "'gateway': --tokens /srv/brummer/tokens/other.json is not the file the 'tokens' service writes (/srv/brummer/tokens/tokens.json)")]
    [InlineData("tokens", "docker-compose.yml", "      - tokens:/srv/brummer/tokens:ro\n", "", "'gateway' does not mount the 'tokens' volume")]
    [InlineData("tokens", "docker-compose.yml", "      - tokens:/srv/brummer/tokens:ro\n", "      - tokens:/srv/brummer/tokens\n", "'gateway' must mount the tokens read-only")]
    [InlineData("tokens", "docker-compose.yml", "      tokens:\n        condition: service_completed_successfully", "      tokens:\n        condition: service_started", "'gateway' should depend on 'tokens' with condition: service_completed_successfully")]
    [InlineData("tokens", "Dockerfile", " /srv/brummer/certs /srv/brummer/tokens\n", " /srv/brummer/certs\n", "the image should make /srv/brummer/tokens, owned by $APP_UID")]
    public void Checks_OnFilesWithAMistake_FailSayingWhy(string check, string file, string find, string replace, string why)
    {
        var edit = Mutate(find, replace);
        var stack = DockerStack.Load(file switch
        {
            "docker-compose.yml" => (compose: edit, dockerfile: null, dockerignore: null),
            "Dockerfile" => (compose: null, dockerfile: edit, dockerignore: null),
            ".dockerignore" => (compose: null, dockerfile: null, dockerignore: edit),
            _ => throw new ArgumentOutOfRangeException(nameof(file), file, "not one of the checked files"),
        });
        Action<DockerStack> run = check switch
        {
            "parse" => CheckCommandsParse,
            "nodes" => CheckNodes,
            "cluster" => CheckCluster,
            "gateway" => CheckGateway,
            "build" => CheckBuild,
            "dockerfile" => CheckDockerfile,
            "directories" => CheckNodeDirectories,
            "tls" => CheckTls,
            "tokens" => CheckTokens,
            _ => throw new ArgumentOutOfRangeException(nameof(check), check, "no such check"),
        };

        var failure = Assert.ThrowsAny<XunitException>(() => run(stack));

        Assert.Contains(why, failure.Message, StringComparison.Ordinal);

        static Func<string, string> Mutate(string find, string replace) => text =>
        {
            Assert.Contains(find, text, StringComparison.Ordinal);
            return text.Replace(find, replace, StringComparison.Ordinal);
        };
    }

    private static Func<string, string> WorkerMountedFrom(string source) => text =>
    {
        const string Dir = "\"--dir\", \"/srv/brummer/examples/cluster/worker\",";
        const string Volumes = "node-b.key\", \"--tls-ca\", \"/srv/brummer/certs/ca.crt\"]\n    volumes:\n";
        Assert.Contains(Dir, text, StringComparison.Ordinal);
        Assert.Contains(Volumes, text, StringComparison.Ordinal);
        return text
            .Replace(Dir, "\"--dir\", \"/srv/worker\",", StringComparison.Ordinal)
            .Replace(Volumes, $"{Volumes}      - \"{source}:/srv/worker:ro\"\n", StringComparison.Ordinal);
    };

    private static void CheckCommandsParse(DockerStack stack)
    {
        var brummer = stack.BrummerServices();
        foreach (var service in brummer)
        {
            Assert.True(service.Parse.Errors.Count == 0, $"service '{service.Name}': `brummer {string.Join(' ', service.Args)}` does not parse: " +
                string.Join("; ", service.Parse.Errors.Select(e => e.Message)));
            Assert.True(service.IsMember || service.IsCertificateMaker || service.IsTokenMaker,
                $"service '{service.Name}' runs `brummer {string.Join(' ', service.Args.Take(2))}`, neither node, gateway, cert create nor token create");
        }

        Assert.True(brummer.Count(s => s.Verb == "node") >= 2, "docker-compose.yml should run at least two nodes: it shows a cluster");
        Assert.True(brummer.Any(s => s.Verb == "gateway"), "docker-compose.yml should run a gateway: nothing else serves MCP");
    }

    private static void CheckNodes(DockerStack stack)
    {
        CheckCommandsParse(stack);
        var names = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var node in stack.Nodes())
        {
            // The default name would be the container's host name: random, and not what the compose file says.
            var name = node.Raw("--name") ?? throw new XunitException($"node service '{node.Name}' has no --name");
            Assert.True(names.TryAdd(name, node.Name), $"node name '{name}' is used by both '{names.GetValueOrDefault(name)}' and '{node.Name}'");

            // A node listens only where it advertises; loopback (the default) would be unreachable from the others.
            Assert.True(node.Raw("--advertise") == node.Name,
                $"node service '{node.Name}' must pass --advertise {node.Name} (its own service name, which Docker's DNS resolves to " +
                $"its container), not '{node.Raw("--advertise") ?? "(the loopback default)"}'");

            // docker stop waits stop_grace_period (10 s by default) before SIGKILL; the node needs --stop-timeout for its
            // scripts, plus time to leave the cluster.
            var stopTimeout = TimeSpan.FromSeconds(node.Parse.GetValue<double>("--stop-timeout"));
            var grace = node.Duration("stop_grace_period") ?? TimeSpan.FromSeconds(10);
            Assert.True(grace > stopTimeout + TimeSpan.FromSeconds(5),
                $"node service '{node.Name}': stop_grace_period {grace.TotalSeconds} s leaves too little after --stop-timeout {stopTimeout.TotalSeconds} s");
        }
    }

    private static void CheckCluster(DockerStack stack)
    {
        CheckCommandsParse(stack);
        var redis = stack.Redis();
        var redisPort = redis.RedisPort();
        var healthcheck = redis.Flatten("healthcheck", "test");
        Assert.True(healthcheck.Contains("redis-cli", StringComparison.Ordinal) && healthcheck.Contains("ping", StringComparison.Ordinal),
            $"the redis service '{redis.Name}' needs a healthcheck that runs redis-cli ping, so that the others start once it answers");

        var members = stack.Members();
        foreach (var service in members)
        {
            // Explicit, so that the file does not depend on BRUMMER_CLUSTER being set where it runs.
            var raw = service.Raw("--cluster") ?? throw new XunitException($"service '{service.Name}' has no --cluster");
            var connection = service.Parse.GetValue<ClusterConnection>("--cluster")!;
            Assert.True(connection.Provider == ClusterProvider.Redis, $"service '{service.Name}': --cluster {raw} is not Redis");
            var endpoint = connection.Target.Split(',')[0];
            var (host, port) = (endpoint[..endpoint.LastIndexOf(':')], int.Parse(endpoint[(endpoint.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture));
            Assert.True(host == redis.Name && port == redisPort,
                $"service '{service.Name}': --cluster {raw} should point at the redis service, redis://{redis.Name}:{redisPort}");

            // A node exits if Redis does not answer when it starts: start only once Redis is healthy.
            Assert.True(service.DependsOnHealthy(redis.Name),
                $"service '{service.Name}' should depend on '{redis.Name}' with condition: service_healthy");
        }

        var clusterIds = members.Select(s => s.Parse.GetValue<string>("--cluster-id")).Distinct().ToList();
        Assert.True(clusterIds.Count == 1, $"nodes and gateways must share one --cluster-id, not {string.Join(", ", clusterIds)}");
    }

    private static void CheckGateway(DockerStack stack)
    {
        CheckCommandsParse(stack);
        foreach (var gateway in stack.BrummerServices().Where(s => s.Verb == "gateway"))
        {
            // Docker forwards a published port to the container's interface: a loopback-only gateway never sees it.
            var bind = gateway.Parse.GetValue<IPAddress>("--bind")!;
            Assert.True(bind.Equals(IPAddress.Any) || bind.Equals(IPAddress.IPv6Any) || gateway.Raw("--bind") == gateway.Name,
                $"gateway service '{gateway.Name}' binds {gateway.Raw("--bind") ?? "127.0.0.1 (the default)"}: inside a container it must bind 0.0.0.0");

            var port = gateway.Parse.GetValue<int>("--port");
            Assert.True(gateway.Ports().Any(p => p.Container == port),
                $"gateway service '{gateway.Name}' listens on {port} but publishes {string.Join(", ", gateway.Ports())}");
        }

        // Security by default: whatever is published, only this machine reaches it.
        foreach (var service in stack.Services())
        {
            foreach (var published in service.Ports())
            {
                Assert.True(IPAddress.TryParse(published.HostIp, out var ip) && IPAddress.IsLoopback(ip),
                    $"service '{service.Name}' publishes {published} on {published.HostIp ?? "every interface"}: publish on {Loopback} only");
            }
        }
    }

    private static void CheckBuild(DockerStack stack)
    {
        CheckCommandsParse(stack);
        var dockerfile = Path.Combine(DockerStack.Repo, "Dockerfile");
        foreach (var service in stack.BrummerServices())
        {
            Assert.True(service.BuildDockerfile() == dockerfile,
                $"service '{service.Name}' should build from the root Dockerfile (build: .), not {service.BuildDockerfile() ?? "an image"}");
            Assert.True(!service.Has("entrypoint"), $"service '{service.Name}' must keep the Dockerfile's ENTRYPOINT (dotnet brummer.dll)");
            Assert.True(!service.Has("network_mode"), $"service '{service.Name}' must stay on the compose network (its name resolves there)");
        }
    }

    private static void CheckDockerfile(DockerStack stack)
    {
        var file = stack.Dockerfile;
        var final = file.Stages[^1];
        var entrypoint = final.Entrypoint ?? throw new XunitException("the Dockerfile's last stage has no ENTRYPOINT in exec form [\"dotnet\", \"/path/brummer.dll\"]");
        var dll = typeof(BrummerCommands).Assembly.GetName().Name + ".dll";
        Assert.True(entrypoint is ["dotnet", var path] && Path.GetFileName(path) == dll,
            $"ENTRYPOINT {JsonSerializer.Serialize(entrypoint)} should run `dotnet /path/{dll}`");

        // The CLI project, found by its assembly name, is what a build stage publishes (the full CLI: the NativeAOT front
        // end of the tool package shares the name, but an image runs the full CLI with `dotnet`)...
        var cliProject = Directory.EnumerateFiles(Path.Combine(DockerStack.Repo, "src"), "*.csproj", SearchOption.AllDirectories)
            .Select(p => (Path: p, Text: File.ReadAllText(p)))
            .Single(p => p.Text.Contains($"<AssemblyName>{Path.GetFileNameWithoutExtension(dll)}</AssemblyName>", StringComparison.Ordinal) &&
                !p.Text.Contains("<PublishAot>true</PublishAot>", StringComparison.Ordinal)).Path;
        var cliRelative = Path.GetRelativePath(DockerStack.Repo, cliProject).Replace('\\', '/');
        var publish = file.Stages.SelectMany(s => s.Runs.Select(r => (Stage: s, Run: r)))
            .Select(x => (x.Stage, x.Run, Args: DotnetPublish(x.Run.Command)))
            .SingleOrDefault(x => x.Args is not null);
        Assert.True(publish.Args is not null, "no stage of the Dockerfile runs `dotnet publish`");
        var (projectArg, output) = PublishProjectAndOutput(publish.Args!);
        var projectInImage = DockerPath.Combine(publish.Run.Workdir, projectArg ?? ".");
        var projectInRepo = publish.Stage.RepoPathOf(projectInImage, stack.Ignore);
        Assert.True(projectInRepo == cliRelative || projectInRepo == Path.GetDirectoryName(cliRelative)!.Replace('\\', '/'),
            $"`dotnet publish {projectArg}` in {publish.Run.Workdir} is {projectInRepo ?? "nothing the build context provides"}, not {cliRelative}");
        Assert.True(output is not null, "`dotnet publish` should name its output directory (-o), which the last stage copies");

        // ...with what MSBuild reads above the project (SDK pin, shared props, central versions, analyzer settings)...
        var repoRootInImage = projectInImage[..^(projectInRepo!.Length + 1)];
        foreach (var needed in new[] { "global.json", "Directory.Build.props", "Directory.Packages.props", ".editorconfig", "src" })
        {
            Assert.True(publish.Stage.RepoPathOf(DockerPath.Combine(repoRootInImage, needed), stack.Ignore) == needed,
                $"the build stage lacks {needed} at {DockerPath.Combine(repoRootInImage, needed)} (COPY it; .dockerignore must let it through)");
        }

        // ...and the entrypoint's dll is that publish output, copied into the last stage.
        var outputInImage = DockerPath.Combine(publish.Run.Workdir, output!);
        var copied = final.Copies
            .Where(c => c.From == publish.Stage.Name || c.From == publish.Stage.Index.ToString(CultureInfo.InvariantCulture))
            .Select(c => DockerPath.Relative(c.Destination, entrypoint[1]) is { } rest && c.Sources.Count == 1 ? DockerPath.Combine(c.Sources[0], rest) : null)
            .LastOrDefault(p => p is not null);
        Assert.True(copied == DockerPath.Combine(outputInImage, dll),
            $"{entrypoint[1]} is not the publish output {DockerPath.Combine(outputInImage, dll)} copied from stage '{publish.Stage.Name}'");
    }

    private static void CheckNodeDirectories(DockerStack stack)
    {
        CheckCommandsParse(stack);
        var final = stack.Dockerfile.Stages[^1];
        foreach (var node in stack.Nodes())
        {
            var dir = node.Raw("--dir") ?? throw new XunitException($"node service '{node.Name}' has no --dir (the image's working directory has no package.json)");
            var inContainer = DockerPath.Combine(node.Scalar("working_dir") ?? final.Workdir, dir);
            string? RepoPathOf(string path) => node.MountedRepoPathOf(path) ?? final.RepoPathOf(path, stack.Ignore);
            var inRepo = RepoPathOf(inContainer);
            Assert.True(inRepo is not null && Directory.Exists(Path.Combine(DockerStack.Repo, inRepo)),
                $"node service '{node.Name}': --dir {dir} is not in the image (no COPY or bind mount of an existing repository folder, or .dockerignore drops it)");
            Assert.True(RepoPathOf(DockerPath.Combine(inContainer, PackageJsonDiscovery.FileName)) is not null,
                $"node service '{node.Name}': {dir}/{PackageJsonDiscovery.FileName} does not reach the image");

            // What the node will find there, found the way it finds it; the image has npm only.
            var scripts = PackageJsonDiscovery.Discover(Path.Combine(DockerStack.Repo, inRepo!)).Scripts;
            Assert.True(scripts.Length > 0, $"node service '{node.Name}': {inRepo}/package.json has no scripts");
            Assert.All(scripts, s => Assert.StartsWith("package.json (npm", s.Source, StringComparison.Ordinal));
        }
    }

    private static void CheckTls(DockerStack stack)
    {
        CheckCommandsParse(stack);
        var makers = stack.BrummerServices().Where(s => s.IsCertificateMaker).ToList();
        Assert.True(makers.Count == 1, $"docker-compose.yml should have one service running `brummer cert create`, not {makers.Count}: the members' certificates come from it");
        var certs = makers[0];
        var names = certs.Parse.GetValue<string[]>("NAME")!;
        var output = certs.Raw("--out") ?? throw new XunitException($"service '{certs.Name}' should pass --out: the default is relative to the image's working directory");
        var authority = certs.Raw("--ca") ?? output;

        // Every `up` runs it again: without --force it finds its files, fails, and no member starts.
        Assert.True(certs.Parse.GetValue<bool>("--force"), $"service '{certs.Name}' needs --force: its second run would find its files and fail");
        var outputVolume = certs.VolumeAt(output) ?? throw new XunitException($"service '{certs.Name}' should write --out {output} to a named volume the members mount");
        var authorityVolume = certs.VolumeAt(authority) ?? throw new XunitException($"service '{certs.Name}' should keep --ca {authority} on a named volume");
        Assert.True(authorityVolume.Name != outputVolume.Name,
            $"service '{certs.Name}' keeps the CA key in the volume the members mount ('{outputVolume.Name}'): pass --ca a directory on a volume of its own");
        Assert.True(!outputVolume.ReadOnly && !authorityVolume.ReadOnly, $"service '{certs.Name}' must mount its volumes writable");

        CheckImageMakesWritable(stack, output, certs.Name);
        CheckImageMakesWritable(stack, authority, certs.Name);

        var used = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in stack.Members())
        {
            var (certificate, key, ca) = (member.Raw("--tls-cert"), member.Raw("--tls-key"), member.Raw("--tls-ca"));
            if (certificate is null || key is null || ca is null)
            {
                throw new XunitException($"service '{member.Name}' runs without cluster TLS: pass --tls-cert, --tls-key and --tls-ca with files of the '{certs.Name}' service");
            }

            var mount = member.Volumes().FirstOrDefault(v => v.Name == outputVolume.Name)
                ?? throw new XunitException($"service '{member.Name}' does not mount the '{outputVolume.Name}' volume its certificate is in");
            Assert.True(mount.ReadOnly, $"service '{member.Name}' must mount the certificates read-only ({outputVolume.Name}:{mount.Target}:ro)");
            Assert.True(member.Volumes().All(v => v.Name != authorityVolume.Name),
                $"service '{member.Name}' mounts the CA's volume '{authorityVolume.Name}': its key must stay with the '{certs.Name}' service");

            var file = DockerPath.Relative(mount.Target, certificate);
            var name = file is not null && file.EndsWith(".crt", StringComparison.Ordinal) && !file.Contains('/', StringComparison.Ordinal) ? file[..^4] : null;
            Assert.True(name is not null && names.Contains(name),
                $"service '{member.Name}': --tls-cert {certificate} is not a certificate the '{certs.Name}' service makes ({string.Join(", ", names.Select(n => DockerPath.Combine(mount.Target, n + ".crt")))})");
            Assert.True(key == DockerPath.Combine(mount.Target, name + ".key"), $"service '{member.Name}': --tls-key {key} is not the key of {certificate}");
            Assert.True(ca == DockerPath.Combine(mount.Target, "ca.crt"), $"service '{member.Name}': --tls-ca {ca} is not the cluster CA's certificate {DockerPath.Combine(mount.Target, "ca.crt")}");
            Assert.True(used.TryAdd(name!, member.Name), $"services '{member.Name}' and '{used.GetValueOrDefault(name!)}' share the certificate '{name}': give each member its own");
            Assert.True(member.DependsOn(certs.Name, "service_completed_successfully"),
                $"service '{member.Name}' should depend on '{certs.Name}' with condition: service_completed_successfully (its certificate exists only then)");
        }
    }

    private static void CheckTokens(DockerStack stack)
    {
        CheckCommandsParse(stack);
        var makers = stack.BrummerServices().Where(s => s.IsTokenMaker).ToList();
        Assert.True(makers.Count == 1, $"docker-compose.yml should have one service running `brummer token create`, not {makers.Count}: the gateway's token comes from it");
        var tokens = makers[0];
        var file = tokens.Raw("--tokens")
            ?? throw new XunitException($"service '{tokens.Name}' should pass --tokens: the default file is in the home directory of the image's user, on no volume");

        // Every `up` runs it again: without --if-absent it finds its token's name, fails, and the gateway never starts.
        Assert.True(tokens.Parse.GetValue<bool>("--if-absent"),
            $"service '{tokens.Name}' needs --if-absent: its second run would find the token and fail, and the gateway depends on it");
        // The one token the file's header tells users to export: it has to run the scripts the header runs.
        var role = tokens.Parse.GetValue<string>("--role");
        Assert.True(role is "operate" or "admin", $"service '{tokens.Name}' makes a {role} token, which cannot run scripts: use --role operate or admin");

        var directory = DockerPath.Combine(file, "..");
        var volume = tokens.VolumeAt(directory)
            ?? throw new XunitException($"service '{tokens.Name}' should write --tokens {file} into a named volume mounted at {directory}, for the gateway to mount");
        Assert.True(!volume.ReadOnly, $"service '{tokens.Name}' must mount its volume writable ({volume.Name}:{volume.Target})");
        CheckImageMakesWritable(stack, directory, tokens.Name);
        var fileInVolume = DockerPath.Relative(volume.Target, file)!;

        foreach (var gateway in stack.BrummerServices().Where(s => s.Verb == "gateway"))
        {
            // Secure by default: --insecure would start an exposed gateway open to anyone, token file or not.
            Assert.True(!gateway.Parse.GetValue<bool>("--insecure"),
                $"gateway service '{gateway.Name}' passes --insecure: docker-compose.yml must be secure by default, so require the '{tokens.Name}' service's token instead");
            var path = gateway.Raw("--tokens") ?? throw new XunitException(
                $"gateway service '{gateway.Name}' binds {gateway.Raw("--bind") ?? "127.0.0.1"} without --tokens: it would refuse to start (and with --insecure " +
                $"let anyone who reaches its port run every script); pass --tokens with the file of the '{tokens.Name}' service");
            var mount = gateway.Volumes().FirstOrDefault(v => v.Name == volume.Name)
                ?? throw new XunitException($"gateway service '{gateway.Name}' does not mount the '{volume.Name}' volume the token file is in");
            var expected = DockerPath.Combine(mount.Target, fileInVolume);
            Assert.True(DockerPath.Normalize(path) == expected, $"gateway service '{gateway.Name}': --tokens {path} is not the file the '{tokens.Name}' service writes ({expected})");
            Assert.True(mount.ReadOnly, $"gateway service '{gateway.Name}' must mount the tokens read-only ({volume.Name}:{mount.Target}:ro): it reads who may call it, never changes that");
            Assert.True(gateway.DependsOn(tokens.Name, "service_completed_successfully"),
                $"gateway service '{gateway.Name}' should depend on '{tokens.Name}' with condition: service_completed_successfully (it refuses to start until its token file exists)");
        }
    }

    /// <summary>A new named volume takes the owner of the image's directory it is mounted on, and brummer runs as $APP_UID.</summary>
    private static void CheckImageMakesWritable(DockerStack stack, string directory, string writer)
    {
        var runs = stack.Dockerfile.Stages[^1].Runs.Select(r => ShellWords.Split(r.Command)).ToList();
        Assert.True(runs.Any(words => words.Contains(directory) && words.Any(w => w.Contains("$APP_UID", StringComparison.Ordinal))),
            $"the image should make {directory}, owned by $APP_UID (a RUN of its last stage): a volume mounted there would be root's, and the '{writer}' service could not write");
    }

    private static List<string>? DotnetPublish(string command)
    {
        var words = ShellWords.Split(command);
        for (var i = 0; i + 1 < words.Count; i++)
        {
            if (words[i] == "dotnet" && words[i + 1] == "publish")
            {
                return words.Skip(i + 2).TakeWhile(w => w is not ("&&" or ";" or "||")).ToList();
            }
        }

        return null;
    }

    private static (string? Project, string? Output) PublishProjectAndOutput(List<string> args)
    {
        string? project = null, output = null;
        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg is "-o" or "--output" && i + 1 < args.Count)
            {
                output = args[++i];
            }
            else if (arg.StartsWith("--output=", StringComparison.Ordinal))
            {
                output = arg["--output=".Length..];
            }
            else if (arg is "-c" or "--configuration" or "-f" or "--framework" or "-r" or "--runtime" or "-a" or "--arch" or "--os" or "-v" or "--verbosity" && i + 1 < args.Count)
            {
                i++;
            }
            else if (!arg.StartsWith('-'))
            {
                project ??= arg;
            }
        }

        return (project, output);
    }

    /// <summary>docker-compose.yml, the Dockerfile and .dockerignore of the repository, or edited copies of them.</summary>
    private sealed class DockerStack
    {
        public static readonly string Repo = FindRepo();

        private readonly YamlMappingNode _services;
        private readonly HashSet<string> _serviceNames;

        private DockerStack(string compose, string dockerfile, string dockerignore)
        {
            var yaml = new YamlStream();
            yaml.Load(new StringReader(compose));
            var root = (YamlMappingNode)yaml.Documents[0].RootNode;
            _services = root.Children.TryGetValue(new YamlScalarNode("services"), out var services) && services is YamlMappingNode map
                ? map
                : throw new XunitException("docker-compose.yml has no services mapping");
            _serviceNames = _services.Children.Keys.Select(k => ((YamlScalarNode)k).Value!).ToHashSet(StringComparer.Ordinal);
            Dockerfile = Dockerfile.Parse(dockerfile);
            Ignore = new DockerIgnore(dockerignore);
        }

        public Dockerfile Dockerfile { get; }

        public DockerIgnore Ignore { get; }

        public static DockerStack Load((Func<string, string>? compose, Func<string, string>? dockerfile, Func<string, string>? dockerignore) edits = default)
        {
            string Read(string name, Func<string, string>? edit)
            {
                var text = File.ReadAllText(Path.Combine(Repo, name)).ReplaceLineEndings("\n");
                return edit is null ? text : edit(text);
            }

            return new DockerStack(Read("docker-compose.yml", edits.compose), Read("Dockerfile", edits.dockerfile), Read(".dockerignore", edits.dockerignore));
        }

        public List<ComposeService> Services() =>
            _services.Children.Select(kv => new ComposeService(((YamlScalarNode)kv.Key).Value!, (YamlMappingNode)kv.Value)).ToList();

        /// <summary>The services that run brummer: every one but Redis.</summary>
        public List<BrummerService> BrummerServices()
        {
            var redis = Redis().Name;
            return Services().Where(s => s.Name != redis).Select(s => new BrummerService(s, _serviceNames)).ToList();
        }

        public List<BrummerService> Nodes() => BrummerServices().Where(s => s.Verb == "node").ToList();

        /// <summary>The nodes and gateways: what joins or calls the cluster.</summary>
        public List<BrummerService> Members() => BrummerServices().Where(s => s.IsMember).ToList();

        public ComposeService Redis()
        {
            var redis = Services().Where(s => s.Scalar("image") is { } image && (image == "redis" || image.StartsWith("redis:", StringComparison.Ordinal))).ToList();
            Assert.True(redis.Count == 1, $"docker-compose.yml should have one redis service (image: redis:...), has {redis.Count}");
            return redis[0];
        }

        private static string FindRepo()
        {
            for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Brummer.sln")))
                {
                    return dir.FullName;
                }
            }

            throw new InvalidOperationException($"no Brummer.sln above {AppContext.BaseDirectory}");
        }
    }

    /// <summary>One service of docker-compose.yml, read as compose reads it.</summary>
    private class ComposeService(string name, YamlMappingNode node)
    {
        public string Name { get; } = name;

        public YamlMappingNode Node { get; } = node;

        public bool Has(string key) => Node.Children.ContainsKey(new YamlScalarNode(key));

        public string? Scalar(string key) => Node.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode s ? s.Value : null;

        /// <summary>The command as a list of arguments: a YAML list, or a string compose splits like a shell (no shell runs).</summary>
        public List<string> Command() => Node.Children.TryGetValue(new YamlScalarNode("command"), out var command)
            ? command switch
            {
                YamlSequenceNode list => list.Children.Select(c => ((YamlScalarNode)c).Value ?? string.Empty).ToList(),
                YamlScalarNode text => ShellWords.Split(text.Value ?? string.Empty),
                _ => throw new XunitException($"service '{Name}': command is neither a list nor a string"),
            }
            : [];

        /// <summary>Every scalar under a path, joined by spaces (e.g. healthcheck.test in either of its forms).</summary>
        public string Flatten(params string[] path)
        {
            YamlNode? current = Node;
            foreach (var key in path)
            {
                current = current is YamlMappingNode map && map.Children.TryGetValue(new YamlScalarNode(key), out var next) ? next : null;
            }

            return current is null ? string.Empty : string.Join(' ', current.AllNodes.OfType<YamlScalarNode>().Select(s => s.Value));
        }

        /// <summary>A compose duration such as 30s, 1m30s or 500ms.</summary>
        public TimeSpan? Duration(string key)
        {
            if (Scalar(key) is not { } text)
            {
                return null;
            }

            var total = TimeSpan.Zero;
            var parts = Regex.Matches(text, @"(\d+(?:\.\d+)?)(ms|us|h|m|s)");
            Assert.True(parts.Sum(m => m.Length) == text.Length && parts.Count > 0, $"service '{Name}': {key} '{text}' is not a duration");
            foreach (Match part in parts)
            {
                var value = double.Parse(part.Groups[1].Value, CultureInfo.InvariantCulture);
                total += part.Groups[2].Value switch
                {
                    "h" => TimeSpan.FromHours(value),
                    "m" => TimeSpan.FromMinutes(value),
                    "s" => TimeSpan.FromSeconds(value),
                    "ms" => TimeSpan.FromMilliseconds(value),
                    _ => TimeSpan.FromMicroseconds(value),
                };
            }

            return total;
        }

        /// <summary>The container port Redis listens on: its --port, else 6379.</summary>
        public int RedisPort()
        {
            var command = Command();
            var at = command.IndexOf("--port");
            return at >= 0 && at + 1 < command.Count ? int.Parse(command[at + 1], CultureInfo.InvariantCulture) : 6379;
        }

        public bool DependsOnHealthy(string service) => DependsOn(service, "service_healthy");

        public bool DependsOn(string service, string condition) =>
            Node.Children.TryGetValue(new YamlScalarNode("depends_on"), out var dependsOn) &&
            dependsOn is YamlMappingNode map &&
            map.Children.TryGetValue(new YamlScalarNode(service), out var entry) &&
            entry is YamlMappingNode conditions &&
            conditions.Children.TryGetValue(new YamlScalarNode("condition"), out var value) &&
            value is YamlScalarNode { Value: var actual } && actual == condition;

        /// <summary>The named volumes mounted, in short ("name:/target[:ro]") or long (type: volume) syntax.</summary>
        public List<VolumeMount> Volumes()
        {
            if (!Node.Children.TryGetValue(new YamlScalarNode("volumes"), out var volumes))
            {
                return [];
            }

            var mounts = new List<VolumeMount>();
            foreach (var volume in ((YamlSequenceNode)volumes).Children)
            {
                switch (volume)
                {
                    case YamlScalarNode { Value: { } text } when text.Split(':') is [var name, var target, ..] && !name.StartsWith('.') && !name.StartsWith('/'):
                        mounts.Add(new VolumeMount(name, DockerPath.Normalize(target), text.Split(':').Length > 2 && text.Split(':')[2].Split(',').Contains("ro")));
                        break;
                    case YamlMappingNode m when m.Children.TryGetValue(new YamlScalarNode("type"), out var type) && type is YamlScalarNode { Value: "volume" }:
                        mounts.Add(new VolumeMount(
                            ((YamlScalarNode)m.Children[new YamlScalarNode("source")]).Value!,
                            DockerPath.Normalize(((YamlScalarNode)m.Children[new YamlScalarNode("target")]).Value!),
                            m.Children.TryGetValue(new YamlScalarNode("read_only"), out var readOnly) && readOnly is YamlScalarNode { Value: "true" }));
                        break;
                    default:
                        break;
                }
            }

            return mounts;
        }

        /// <summary>The named volume mounted exactly at <paramref name="directory"/>, if one is.</summary>
        public VolumeMount? VolumeAt(string directory) => Volumes().FirstOrDefault(v => v.Target == DockerPath.Normalize(directory));

        /// <summary>The Dockerfile a <c>build</c> entry names, as a full path; null for an image-only service.</summary>
        public string? BuildDockerfile()
        {
            if (!Node.Children.TryGetValue(new YamlScalarNode("build"), out var build))
            {
                return null;
            }

            var (context, dockerfile) = build switch
            {
                YamlScalarNode s => (s.Value ?? ".", "Dockerfile"),
                YamlMappingNode m => (Get(m, "context") ?? ".", Get(m, "dockerfile") ?? "Dockerfile"),
                _ => throw new XunitException($"service '{Name}': build is neither a path nor a mapping"),
            };
            return Path.GetFullPath(Path.Combine(DockerStack.Repo, context, dockerfile));

            static string? Get(YamlMappingNode map, string key) =>
                map.Children.TryGetValue(new YamlScalarNode(key), out var value) && value is YamlScalarNode s ? s.Value : null;
        }

        /// <summary>
        /// The repository path a bind mount of this service puts at <paramref name="containerPath"/> (short syntax
        /// "./host:/container[:ro]" or long syntax type: bind), or null when no mount of an existing repository path does.
        /// </summary>
        public string? MountedRepoPathOf(string containerPath)
        {
            if (!Node.Children.TryGetValue(new YamlScalarNode("volumes"), out var volumes))
            {
                return null;
            }

            foreach (var volume in ((YamlSequenceNode)volumes).Children)
            {
                var (source, target) = volume switch
                {
                    YamlScalarNode { Value: { } text } when text.Split(':') is [var host, var container, ..] && host.StartsWith('.') => (host, container),
                    YamlMappingNode m when m.Children.TryGetValue(new YamlScalarNode("type"), out var type) && type is YamlScalarNode { Value: "bind" } =>
                        (((YamlScalarNode)m.Children[new YamlScalarNode("source")]).Value, ((YamlScalarNode)m.Children[new YamlScalarNode("target")]).Value),
                    _ => (null, null),
                };
                if (source is null || target is null || DockerPath.Relative(target, containerPath) is not { } rest)
                {
                    continue;
                }

                var full = Path.GetFullPath(Path.Combine(DockerStack.Repo, source, rest));
                var relative = Path.GetRelativePath(DockerStack.Repo, full).Replace('\\', '/');
                if (!relative.StartsWith("..", StringComparison.Ordinal) && (File.Exists(full) || Directory.Exists(full)))
                {
                    return relative;
                }
            }

            return null;
        }

        /// <summary>The published ports, in compose's short ("[ip:]host:container[/proto]") or long (target/published/host_ip) syntax.</summary>
        public List<PublishedPort> Ports()
        {
            if (!Node.Children.TryGetValue(new YamlScalarNode("ports"), out var ports))
            {
                return [];
            }

            return ((YamlSequenceNode)ports).Children.Select(p => p switch
            {
                YamlScalarNode s => PublishedPort.Parse(s.Value ?? string.Empty),
                YamlMappingNode m => new PublishedPort(
                    m.Children.TryGetValue(new YamlScalarNode("host_ip"), out var ip) ? ((YamlScalarNode)ip).Value : null,
                    m.Children.TryGetValue(new YamlScalarNode("published"), out var published) ? ((YamlScalarNode)published).Value : null,
                    int.Parse(((YamlScalarNode)m.Children[new YamlScalarNode("target")]).Value!, CultureInfo.InvariantCulture)),
                _ => throw new XunitException($"service '{Name}': a ports entry is neither a string nor a mapping"),
            }).ToList();
        }
    }

    /// <summary>A service whose container runs brummer: its command, parsed by the real command line.</summary>
    private sealed class BrummerService : ComposeService
    {
        private static readonly string[] AddressOptions = ["--advertise", "--bind"];

        public BrummerService(ComposeService service, IReadOnlySet<string> serviceNames)
            : base(service.Name, service.Node)
        {
            Args = Command();
            Assert.True(Args.Count > 0, $"service '{Name}' has no command: it would only print brummer's help");
            Assert.True(!Args.Any(a => a.Contains('$', StringComparison.Ordinal)),
                $"service '{Name}': compose would interpolate '$' in its command, so this test would not check what runs; write values out");
            Parse = BrummerCommands.Build().Parse(ForThisMachine(Args, serviceNames));
            Verb = Parse.CommandResult.Command.Name;
        }

        public List<string> Args { get; }

        public ParseResult Parse { get; }

        public string Verb { get; }

        /// <summary>A node or a gateway: a member of the cluster.</summary>
        public bool IsMember => Verb is "node" or "gateway";

        /// <summary>Runs <c>brummer cert create</c>.</summary>
        public bool IsCertificateMaker => Verb == "create" && Args[0] == "cert";

        /// <summary>Runs <c>brummer token create</c>.</summary>
        public bool IsTokenMaker => Verb == "create" && Args[0] == "token";

        /// <summary>The value written for an option (by any of its aliases), as the compose file has it.</summary>
        public string? Raw(string option)
        {
            var names = Options().Where(o => o.Name == option).SelectMany(o => o.Aliases.Append(o.Name)).ToHashSet(StringComparer.Ordinal);
            Assert.True(names.Count > 0, $"`brummer {Verb}` has no option {option}");
            for (var i = 0; i < Args.Count; i++)
            {
                if (names.Contains(Args[i]) && i + 1 < Args.Count)
                {
                    return Args[i + 1];
                }

                if (names.FirstOrDefault(n => Args[i].StartsWith(n + "=", StringComparison.Ordinal) || Args[i].StartsWith(n + ":", StringComparison.Ordinal)) is { } name)
                {
                    return Args[i][(name.Length + 1)..];
                }
            }

            return null;
        }

        /// <summary>The options the command takes: its own, and those its parents pass down (e.g. <c>token</c>'s --tokens).</summary>
        private IEnumerable<Option> Options()
        {
            var options = Parse.CommandResult.Command.Options.AsEnumerable();
            for (var parent = Parse.CommandResult.Parent as CommandResult; parent is not null; parent = parent.Parent as CommandResult)
            {
                options = options.Concat(parent.Command.Options.Where(o => o.Recursive));
            }

            return options;
        }

        /// <summary>
        /// Docker's DNS resolves every service name on the compose network; this machine's does not. An address option
        /// naming a service is therefore parsed here as an address that resolves (its value is checked on its own).
        /// </summary>
        private static string[] ForThisMachine(IReadOnlyList<string> args, IReadOnlySet<string> serviceNames)
        {
            var result = args.ToArray();
            for (var i = 0; i < result.Length; i++)
            {
                if (i > 0 && AddressOptions.Contains(result[i - 1]) && serviceNames.Contains(result[i]))
                {
                    result[i] = Loopback;
                }
                else if (AddressOptions.FirstOrDefault(o => result[i].StartsWith(o + "=", StringComparison.Ordinal)) is { } option &&
                         serviceNames.Contains(result[i][(option.Length + 1)..]))
                {
                    result[i] = $"{option}={Loopback}";
                }
            }

            return result;
        }
    }

    private sealed record VolumeMount(string Name, string Target, bool ReadOnly);

    private sealed record PublishedPort(string? HostIp, string? HostPort, int Container)
    {
        public static PublishedPort Parse(string text)
        {
            var spec = text.Split('/')[0];
            string? ip = null;
            if (spec.StartsWith('['))
            {
                var end = spec.IndexOf(']', StringComparison.Ordinal);
                ip = spec[1..end];
                spec = spec[(end + 2)..];
            }

            var parts = spec.Split(':');
            Assert.True(parts.Length <= 3 && (ip is null || parts.Length == 2), $"'{text}' is not a compose port mapping");
            ip ??= parts.Length == 3 ? parts[0] : null;
            var hostPort = parts.Length >= 2 ? parts[^2] : null;
            Assert.True(int.TryParse(parts[^1], CultureInfo.InvariantCulture, out var container), $"'{text}': container port '{parts[^1]}' is not one port");
            return new PublishedPort(ip, hostPort is { Length: > 0 } ? hostPort : null, container);
        }

        public override string ToString() => $"{HostIp ?? "*"}:{HostPort ?? "(any)"}->{Container}";
    }

    /// <summary>
    /// What the image holds, read from the Dockerfile: its stages, their WORKDIRs, COPYs, RUNs and ENTRYPOINT, enough to map
    /// a path inside the image back to the repository path it is copied from.
    /// </summary>
    private sealed class Dockerfile
    {
        public List<Stage> Stages { get; } = [];

        public static Dockerfile Parse(string text)
        {
            var file = new Dockerfile();
            foreach (var (instruction, arguments) in Instructions(text))
            {
                if (instruction == "FROM")
                {
                    var words = arguments.Split(' ', StringSplitOptions.RemoveEmptyEntries).Where(w => !w.StartsWith("--", StringComparison.Ordinal)).ToList();
                    var name = words.Count == 3 && words[1].Equals("AS", StringComparison.OrdinalIgnoreCase) ? words[2] : null;
                    file.Stages.Add(new Stage(file.Stages.Count, name));
                    continue;
                }

                Assert.True(file.Stages.Count > 0, $"Dockerfile: {instruction} before FROM");
                var stage = file.Stages[^1];
                switch (instruction)
                {
                    case "WORKDIR":
                        stage.Workdir = DockerPath.Combine(stage.Workdir, arguments.Trim());
                        break;
                    case "COPY" or "ADD":
                        var words = arguments.TrimStart().StartsWith('[')
                            ? JsonSerializer.Deserialize<List<string>>(arguments)!
                            : ShellWords.Split(arguments).ToList();
                        var flags = words.TakeWhile(w => w.StartsWith("--", StringComparison.Ordinal)).ToList();
                        var paths = words.Skip(flags.Count).ToList();
                        var from = flags.FirstOrDefault(f => f.StartsWith("--from=", StringComparison.Ordinal))?["--from=".Length..];
                        var destination = DockerPath.Combine(stage.Workdir, paths[^1]);
                        var isDirectory = paths[^1].EndsWith('/') || paths.Count > 2;
                        stage.Copies.Add(new Copy(from, paths.SkipLast(1).Select(DockerPath.Normalize).ToList(), destination, isDirectory));
                        break;
                    case "RUN":
                        stage.Runs.Add(new Run(arguments, stage.Workdir));
                        break;
                    case "ENTRYPOINT":
                        stage.Entrypoint = arguments.TrimStart().StartsWith('[') ? JsonSerializer.Deserialize<string[]>(arguments) : null;
                        break;
                    default:
                        break;
                }
            }

            Assert.True(file.Stages.Count > 0, "the Dockerfile has no FROM");
            return file;
        }

        /// <summary>Instructions with line continuations joined and comments dropped.</summary>
        private static IEnumerable<(string Instruction, string Arguments)> Instructions(string text)
        {
            var current = new StringBuilder();
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.TrimEnd();
                if (line.TrimStart().StartsWith('#') || line.Length == 0)
                {
                    continue;
                }

                if (line.EndsWith('\\'))
                {
                    current.Append(line[..^1]).Append(' ');
                    continue;
                }

                current.Append(line);
                var instruction = current.ToString().Trim();
                current.Clear();
                var space = instruction.IndexOf(' ', StringComparison.Ordinal);
                yield return space < 0 ? (instruction.ToUpperInvariant(), string.Empty) : (instruction[..space].ToUpperInvariant(), instruction[(space + 1)..].Trim());
            }
        }
    }

    private sealed class Stage(int index, string? name)
    {
        public int Index { get; } = index;

        public string? Name { get; } = name;

        public string Workdir { get; set; } = "/";

        public List<Copy> Copies { get; } = [];

        public List<Run> Runs { get; } = [];

        public string[]? Entrypoint { get; set; }

        /// <summary>
        /// The repository path (relative, '/'-separated) that a path of this stage's file system is copied from, or null
        /// when no COPY from the build context puts an existing, not-ignored repository path there.
        /// </summary>
        public string? RepoPathOf(string imagePath, DockerIgnore ignore)
        {
            foreach (var copy in Enumerable.Reverse(Copies).Where(c => c.From is null))
            {
                foreach (var source in copy.Sources)
                {
                    var full = Path.Combine(DockerStack.Repo, source);
                    string? candidate = null;
                    if (Directory.Exists(full))
                    {
                        // A directory's contents go into the destination.
                        candidate = DockerPath.Relative(copy.Destination, imagePath) is { } rest ? DockerPath.Combine(source, rest) : null;
                    }
                    else if (File.Exists(full))
                    {
                        var target = copy.IsDirectory ? DockerPath.Combine(copy.Destination, Path.GetFileName(source)) : copy.Destination;
                        candidate = target == imagePath ? source : null;
                    }

                    if (candidate is not null && !ignore.Ignores(candidate) &&
                        (File.Exists(Path.Combine(DockerStack.Repo, candidate)) || Directory.Exists(Path.Combine(DockerStack.Repo, candidate))))
                    {
                        return candidate;
                    }
                }
            }

            return null;
        }
    }

    private sealed record Copy(string? From, IReadOnlyList<string> Sources, string Destination, bool IsDirectory);

    private sealed record Run(string Command, string Workdir);

    /// <summary>.dockerignore as BuildKit applies it: the last pattern matching a path or one of its parents decides.</summary>
    private sealed class DockerIgnore
    {
        private readonly List<(Regex Pattern, bool Exception)> _patterns = [];

        public DockerIgnore(string text)
        {
            foreach (var raw in text.Split('\n'))
            {
                var line = raw.Trim();
                if (line.Length == 0 || line.StartsWith('#'))
                {
                    continue;
                }

                var exception = line.StartsWith('!');
                var pattern = DockerPath.Normalize(exception ? line[1..].Trim() : line);
                _patterns.Add((new Regex("^" + GlobToRegex(pattern) + "$", RegexOptions.CultureInvariant), exception));
            }
        }

        public bool Ignores(string path)
        {
            var candidates = new List<string>();
            var parts = path.Split('/');
            for (var i = 1; i <= parts.Length; i++)
            {
                candidates.Add(string.Join('/', parts[..i]));
            }

            var ignored = false;
            foreach (var (pattern, exception) in _patterns)
            {
                if (candidates.Any(pattern.IsMatch))
                {
                    ignored = !exception;
                }
            }

            return ignored;
        }

        private static string GlobToRegex(string glob)
        {
            var regex = new StringBuilder();
            for (var i = 0; i < glob.Length; i++)
            {
                var c = glob[i];
                if (c == '*' && i + 1 < glob.Length && glob[i + 1] == '*')
                {
                    // "**/" matches any number of directories, including none.
                    var slash = i + 2 < glob.Length && glob[i + 2] == '/';
                    regex.Append(slash ? "(?:.*/)?" : ".*");
                    i += slash ? 2 : 1;
                }
                else
                {
                    regex.Append(c switch
                    {
                        '*' => "[^/]*",
                        '?' => "[^/]",
                        _ => Regex.Escape(c.ToString()),
                    });
                }
            }

            return regex.ToString();
        }
    }

    /// <summary>'/'-separated paths: of the image (absolute) and of the repository (relative to its root).</summary>
    private static class DockerPath
    {
        public static string Normalize(string path)
        {
            var absolute = path.StartsWith('/');
            var parts = new List<string>();
            foreach (var part in path.Split('/', StringSplitOptions.RemoveEmptyEntries))
            {
                if (part == "..")
                {
                    if (parts.Count > 0)
                    {
                        parts.RemoveAt(parts.Count - 1);
                    }
                }
                else if (part != ".")
                {
                    parts.Add(part);
                }
            }

            var joined = string.Join('/', parts);
            return absolute ? "/" + joined : joined.Length == 0 ? "." : joined;
        }

        public static string Combine(string directory, string path) =>
            Normalize(path.StartsWith('/') || directory == "." ? path : directory.TrimEnd('/') + "/" + path);

        /// <summary>The rest of <paramref name="path"/> under <paramref name="directory"/> ("." for itself), or null.</summary>
        public static string? Relative(string directory, string path)
        {
            directory = Normalize(directory);
            path = Normalize(path);
            if (path == directory)
            {
                return ".";
            }

            var prefix = directory == "/" ? "/" : directory + "/";
            return path.StartsWith(prefix, StringComparison.Ordinal) ? path[prefix.Length..] : null;
        }
    }

    /// <summary>Splits a command line into words the way a POSIX shell would for plain words and quotes (no expansion).</summary>
    private static class ShellWords
    {
        public static List<string> Split(string text)
        {
            var words = new List<string>();
            var word = new StringBuilder();
            var inWord = false;
            char? quote = null;
            foreach (var c in text)
            {
                if (quote is not null)
                {
                    if (c == quote)
                    {
                        quote = null;
                    }
                    else
                    {
                        word.Append(c);
                    }
                }
                else if (c is '"' or '\'')
                {
                    quote = c;
                    inWord = true;
                }
                else if (char.IsWhiteSpace(c))
                {
                    if (inWord)
                    {
                        words.Add(word.ToString());
                        word.Clear();
                        inWord = false;
                    }
                }
                else
                {
                    word.Append(c);
                    inWord = true;
                }
            }

            Assert.True(quote is null, $"unbalanced quote in: {text}");
            if (inWord)
            {
                words.Add(word.ToString());
            }

            return words;
        }
    }
}
