using System.Collections.Immutable;
using YamlDotNet.RepresentationModel;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>Reads one entry of <c>processes</c> into a <see cref="StackProcess"/>.</summary>
internal sealed class ProcessReader(YamlSource source, string reader, ScriptCatalog? packageScripts, StackEnvironment fileEnvironment)
{
    private static readonly string[] Keys =
    [
        "command", "script", "working_dir", "environment", "env_file", "node", "depends_on",
        "readiness_probe", "liveness_probe", "availability", "shutdown", "autostart",
    ];

    private static readonly string[] DependencyKeys = ["condition"];

    private static readonly Dictionary<string, DependencyCondition> Conditions =
        Enum.GetValues<DependencyCondition>().ToDictionary(c => c.ToYamlName(), StringComparer.Ordinal);

    /// <param name="filesRead">Gets the env files read, for reload to watch.</param>
    public StackProcess Read(YamlNode nameNode, YamlNode node, ICollection<string> filesRead)
    {
        var name = StackNames.Check(source, nameNode, source.Key(nameNode, "processes"), "process");
        var where = $"processes.{name}";
        var fields = source.Fields(source.Mapping(node, where, "a mapping with command or script"), where, Keys);

        string? placement = null;
        if (fields.TryGetValue("node", out var nodeField))
        {
            placement = StackNames.Check(source, nodeField.Value, source.String(nodeField.Value, $"{where}.node"), "node");
        }

        // Another node's env files may exist only on its machine; this node checks only what it will run.
        var runsHere = placement is null || placement == reader;
        var environment = fileEnvironment.Fork();
        if (fields.TryGetValue("env_file", out var envFile) && runsHere)
        {
            environment.AddEnvFiles(source, envFile.Value, $"{where}.env_file", filesRead);
        }

        if (fields.TryGetValue("environment", out var variables))
        {
            environment.AddEnvironment(source, variables.Value, $"{where}.environment");
        }

        var command = Command(name, node, where, fields, runsHere);
        var definition = command with
        {
            // On top of what a package.json script brings (if any): the stack's settings win.
            Environment = command.Environment.SetItems(environment.Set),
            Autostart = !fields.TryGetValue("autostart", out var autostart) || source.Boolean(autostart.Value, $"{where}.autostart"),
        };

        if (fields.TryGetValue("readiness_probe", out var readiness))
        {
            definition = definition with { Readiness = ProbeReader.Read(source, readiness.Value, $"{where}.readiness_probe", environment) };
        }

        if (fields.TryGetValue("liveness_probe", out var liveness))
        {
            definition = definition with { Liveness = ProbeReader.Read(source, liveness.Value, $"{where}.liveness_probe", environment) };
        }

        if (fields.TryGetValue("availability", out var availability))
        {
            definition = definition with { Availability = PolicyReader.Availability(source, availability.Value, $"{where}.availability") };
        }

        if (fields.TryGetValue("shutdown", out var shutdown))
        {
            definition = definition with { Shutdown = PolicyReader.Shutdown(source, shutdown.Value, $"{where}.shutdown") };
        }

        var dependencies = fields.TryGetValue("depends_on", out var dependsOn)
            ? Dependencies(dependsOn.Value, $"{where}.depends_on")
            : [];
        return new StackProcess(name, nameNode, placement, definition, dependencies);
    }

    /// <summary>What it runs: a shell command line, or a package.json script run the way package.json scripts are.</summary>
    private ScriptDefinition Command(string name, YamlNode node, string where, Dictionary<string, YamlKeyValue> fields, bool runsHere)
    {
        var hasCommand = fields.TryGetValue("command", out var command);
        var hasScript = fields.TryGetValue("script", out var script);
        if (hasCommand == hasScript)
        {
            var got = hasCommand ? "both" : "neither";
            throw source.Error(node, $"{where} has {got} of command and script; give exactly one (command: a shell command line, script: a package.json script).");
        }

        var directory = Path.GetDirectoryName(source.Path)!;
        if (hasScript)
        {
            if (fields.TryGetValue("working_dir", out var dir))
            {
                throw source.Error(dir.Key, $"{where}.working_dir cannot be used with script: a package.json script runs in its package's directory.");
            }

            var scriptName = source.String(script.Value, $"{where}.script");
            if (packageScripts is null)
            {
                throw source.Error(script.Value, $"{where}.script names a package.json script, but there is no {PackageJsonDiscovery.FileName} beside {source.FileName}.");
            }

            if (!packageScripts.TryGet(scriptName, out var packageScript))
            {
                var names = packageScripts.Scripts.Select(s => s.Name).ToList();
                var list = names.Count == 0 ? "it has no scripts" : $"scripts: {string.Join(", ", names)}";
                throw source.Error(script.Value, $"{where}.script: {PackageJsonDiscovery.FileName} has no script '{YamlSource.Shorten(scriptName)}'{Closest.Hint(scriptName, names)}; {list}.");
            }

            return packageScript with { Name = name, Source = $"{source.FileName}, {packageScript.Source}" };
        }

        var line = source.String(command.Value, $"{where}.command");
        var workingDirectory = directory;
        if (fields.TryGetValue("working_dir", out var workingDir))
        {
            var relative = source.String(workingDir.Value, $"{where}.working_dir");
            workingDirectory = Path.GetFullPath(relative, directory);
            if (runsHere && !Directory.Exists(workingDirectory))
            {
                throw source.Error(workingDir.Value, $"{where}.working_dir: directory '{workingDirectory}' does not exist (paths are relative to {source.FileName}'s directory).");
            }
        }

        return new ScriptDefinition(name, line, "/bin/sh", ["-c", line], workingDirectory, source.FileName);
    }

    /// <summary><c>depends_on</c>: a list of names (condition process_started), or a mapping of name to <c>{condition}</c>.</summary>
    private ImmutableArray<DependencyReference> Dependencies(YamlNode node, string where)
    {
        var references = ImmutableArray.CreateBuilder<DependencyReference>();
        switch (node)
        {
            case YamlSequenceNode list:
                foreach (var entry in list.Children)
                {
                    references.Add(new DependencyReference(source.String(entry, $"{where} entry"), DependencyCondition.ProcessStarted, entry));
                }

                break;
            case YamlMappingNode mapping:
                foreach (var (keyNode, value) in mapping.Children)
                {
                    var target = source.Key(keyNode, where);
                    var condition = DependencyCondition.ProcessStarted;
                    if (!YamlSource.IsNull(value))
                    {
                        var fields = source.Fields(source.Mapping(value, $"{where}.{target}", "a mapping with condition"), $"{where}.{target}", DependencyKeys);
                        if (fields.TryGetValue("condition", out var conditionField))
                        {
                            var text = source.String(conditionField.Value, $"{where}.{target}.condition");
                            condition = Conditions.TryGetValue(text, out var known)
                                ? known
                                : throw source.Error(conditionField.Value, $"{where}.{target}.condition must be one of {string.Join(", ", Conditions.Keys)}; got {YamlSource.Describe(conditionField.Value)}.");
                        }
                    }

                    references.Add(new DependencyReference(target, condition, keyNode));
                }

                break;
            default:
                if (!YamlSource.IsNull(node))
                {
                    throw source.Error(node, $"{where} must be a list of process names or a mapping of name to {{condition: ...}}; got {YamlSource.Describe(node)}.");
                }

                break;
        }

        return references.ToImmutable();
    }
}
