using Brummer.Grains.Discovery;
using Brummer.Grains.Discovery.Stack;
using Brummer.Tests;

namespace Brummer.Grains.Tests;

/// <summary>env_file (.env syntax), environment layers and ${VAR} expansion in brummer.yaml.</summary>
public sealed class StackEnvironmentTests
{
    private static ScriptDefinition Single(StackDirectory stack, IReadOnlyDictionary<string, string>? nodeEnvironment = null) =>
        Assert.Single(NodeDefinitions.Load(stack.Path, "a", nodeEnvironment ?? new Dictionary<string, string>()).Scripts);

    [Fact]
    public void Load_SameVariableInEveryLayer_LaterLayerWins()
    {
        using var stack = StackDirectory.WithFiles(
            ("brummer.yaml", """
                environment:
                  TOP: top-env
                  CHAIN: ${CHAIN}>top-env
                env_file: top.env
                processes:
                  web:
                    command: ./web
                    env_file: web.env
                    environment:
                      PROC: proc-env
                      CHAIN: ${CHAIN}>proc-env
                """),
            ("top.env", "TOP=top-file\nTOP_FILE=top-file\nCHAIN=${CHAIN}>top-file\n"),
            ("web.env", "TOP=web-file\nPROC=web-file\nWEB_FILE=web-file\nCHAIN=${CHAIN}>web-file\n"));
        var node = new Dictionary<string, string> { ["CHAIN"] = "node", ["TOP"] = "node", ["HOME"] = "/home/dev" };

        var web = Single(stack, node);

        Assert.Equal("node>top-file>top-env>web-file>proc-env", web.Environment["CHAIN"]);
        Assert.Equal("web-file", web.Environment["TOP"]);
        Assert.Equal("proc-env", web.Environment["PROC"]);
        Assert.Equal("top-file", web.Environment["TOP_FILE"]);
        Assert.Equal("web-file", web.Environment["WEB_FILE"]);
        Assert.False(web.Environment.ContainsKey("HOME"), "the node's own variables are inherited at start, not copied into the definition");
    }

    [Fact]
    public void Load_EnvFileSyntax_ReadsEveryForm()
    {
        const string DotEnv = """
            # a comment

            PLAIN=value
            export EXPORTED=yes
              SPACED = trimmed value   # inline comment
            HASH=a#b
            EMPTY=
            DOUBLE="line1\nline2 \"quoted\" \\ \$HOME tab\t."
            SINGLE='literal $HOME \n # not a comment'
            MULTI="first
            second"
            EXPANDED=${PLAIN}-$EXPORTED-${MISSING:-fallback}-$$-${MISSING}
            dotted.name-x=ok
            """;
        using var stack = StackDirectory.WithFiles(("brummer.yaml", "env_file: [.env]\nprocesses:\n  web: {command: ./web}\n"), (".env", DotEnv));

        var environment = Single(stack, new Dictionary<string, string> { ["HOME"] = "/home/dev" }).Environment;

        Assert.Equal("value", environment["PLAIN"]);
        Assert.Equal("yes", environment["EXPORTED"]);
        Assert.Equal("trimmed value", environment["SPACED"]);
        Assert.Equal("a#b", environment["HASH"]);
        Assert.Equal(string.Empty, environment["EMPTY"]);
        Assert.Equal("line1\nline2 \"quoted\" \\ $HOME tab\t.", environment["DOUBLE"]);
        Assert.Equal("literal $HOME \\n # not a comment", environment["SINGLE"]);
        Assert.Equal("first\nsecond", environment["MULTI"]);
        Assert.Equal("value-yes-fallback-$-", environment["EXPANDED"]);
        Assert.Equal("ok", environment["dotted.name-x"]);
    }

    [Theory]
    [InlineData("A=1\nno equals sign here\n", ":2: expected KEY=VALUE; this line has no '='.")]
    [InlineData("A=1\nB=\"never closed\nC=3\n", ":2: the double quote that opens the value of B is never closed.")]
    [InlineData("A='x' trailing\n", ":1: unexpected text after the closing quote of A; put a comment after ' #'.")]
    [InlineData("1A=x\n", ":1: '1A' is not a variable name: letters, digits, '_', '.', '-', not starting with a digit.")]
    [InlineData("A=${B\n", ":1: A: unterminated '${' at character 1; close it with '}' or write '$$' for a literal '$'.")]
    public void Load_MalformedEnvFile_NamesFileAndLine(string content, string expected)
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", "env_file: app.env\nprocesses: {}\n"), ("app.env", content));

        var error = Assert.Throws<ScriptDiscoveryException>(() => NodeDefinitions.Load(stack.Path, "a", new Dictionary<string, string>()));

        Assert.Equal(stack.File("app.env") + expected, error.Message);
    }

    [Fact]
    public void Load_MalformedEnvFile_NeverQuotesAValue()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", "env_file: app.env\nprocesses: {}\n"), ("app.env", "PASSWORD hunter2\nTOKEN=\"hunter3\n"));

        var error = Assert.Throws<ScriptDiscoveryException>(() => NodeDefinitions.Load(stack.Path, "a", new Dictionary<string, string>()));

        Assert.DoesNotContain("hunter2", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Load_EnvironmentAsList_ExpandsLikeAMapping()
    {
        using var stack = StackDirectory.WithFiles(("brummer.yaml", "processes:\n  web:\n    command: ./web\n    environment:\n      - PORT=8080\n      - URL=http://localhost:${PORT}/x=y\n      - COST=$$5\n"));

        var environment = Single(stack).Environment;

        Assert.Equal("8080", environment["PORT"]);
        Assert.Equal("http://localhost:8080/x=y", environment["URL"]);
        Assert.Equal("$5", environment["COST"]);
    }

    [Fact]
    public void Load_ProbeAddress_UsesTheProcessVariables()
    {
        using var stack = StackDirectory.WithFiles(
            ("brummer.yaml", "env_file: ports.env\nprocesses:\n  web:\n    command: ./web\n    readiness_probe:\n      tcp: {host: '${HOST:-localhost}', port: '${PORT}'}\n"),
            ("ports.env", "PORT=4100\n"));

        Assert.Equal(new TcpCheck("localhost", 4100), Single(stack).Readiness!.Check);
    }

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("$A and ${A}", "1 and 1")]
    [InlineData("${UNSET}|$UNSET|", "||")]
    [InlineData("${EMPTY:-d}|${EMPTY-d}|${UNSET-d}", "d||d")]
    [InlineData("${A:+alt}|${EMPTY:+alt}|${EMPTY+alt}|${UNSET+alt}", "alt||alt|")]
    [InlineData("${UNSET:-${A}-nested}", "1-nested")]
    [InlineData("$$A $$$A cost$ $5 a$-b", "$A $1 cost$ $5 a$-b")]
    [InlineData("${A:?needed}", "1")]
    public void TryExpand_ComposeSyntax_Expands(string text, string expected)
    {
        var variables = new Dictionary<string, string> { ["A"] = "1", ["EMPTY"] = string.Empty };

        Assert.True(VariableExpansion.TryExpand(text, variables.GetValueOrDefault, out var result, out var error), error);
        Assert.Equal(expected, result);
    }

    [Theory]
    [InlineData("${A", "unterminated '${' at character 1")]
    [InlineData("x ${}", "the '${' at character 3 is not followed by a variable name")]
    [InlineData("${A*x}", "'${A' at character 1 is followed by neither '}' nor one of")]
    [InlineData("${UNSET:?tell me}", "UNSET is required: tell me")]
    [InlineData("${EMPTY?}", "EMPTY is required but not set")]
    public void TryExpand_Malformed_SaysWhy(string text, string expected)
    {
        var variables = new Dictionary<string, string> { ["A"] = "1" };

        Assert.False(VariableExpansion.TryExpand(text, variables.GetValueOrDefault, out _, out var error));
        Assert.StartsWith(expected, error, StringComparison.Ordinal);
    }
}
