using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace Brummer.Grains.Discovery.Stack;

/// <summary>Reads a process's <c>availability</c> (restart policy) and <c>shutdown</c> (stop signal and timeout).</summary>
internal static class PolicyReader
{
    private static readonly string[] AvailabilityKeys = ["restart", "backoff_seconds", "max_backoff_seconds", "max_restarts", "stable_seconds"];
    private static readonly string[] ShutdownKeys = ["signal", "timeout_seconds"];

    private static readonly Dictionary<string, RestartMode> Modes = new(StringComparer.Ordinal)
    {
        ["no"] = RestartMode.No,
        ["on_failure"] = RestartMode.OnFailure,
        ["always"] = RestartMode.Always,
    };

    // Linux numbering (Brummer's process groups are Linux ones).
    private static readonly Dictionary<string, int> SignalNumbers = new(StringComparer.OrdinalIgnoreCase)
    {
        ["HUP"] = 1, ["INT"] = 2, ["QUIT"] = 3, ["ILL"] = 4, ["TRAP"] = 5, ["ABRT"] = 6, ["BUS"] = 7, ["FPE"] = 8,
        ["KILL"] = 9, ["USR1"] = 10, ["SEGV"] = 11, ["USR2"] = 12, ["PIPE"] = 13, ["ALRM"] = 14, ["TERM"] = 15,
        ["STKFLT"] = 16, ["CHLD"] = 17, ["CONT"] = 18, ["STOP"] = 19, ["TSTP"] = 20, ["TTIN"] = 21, ["TTOU"] = 22,
        ["URG"] = 23, ["XCPU"] = 24, ["XFSZ"] = 25, ["VTALRM"] = 26, ["PROF"] = 27, ["WINCH"] = 28, ["IO"] = 29,
        ["PWR"] = 30, ["SYS"] = 31,
    };

    public static RestartPolicy Availability(YamlSource source, YamlNode node, string where)
    {
        var fields = source.Fields(source.Mapping(node, where, "a mapping with restart and its backoff"), where, AvailabilityKeys);
        var policy = RestartPolicy.Never;
        if (fields.TryGetValue("restart", out var restart))
        {
            // YAML 1.1 readers turn an unquoted `no` into false; this one keeps the text, and accepts `false` for the same.
            var text = source.String(restart.Value, $"{where}.restart");
            var mode = text == "false" ? RestartMode.No : Modes.TryGetValue(text, out var m) ? m : (RestartMode?)null;
            policy = policy with
            {
                Mode = mode ?? throw source.Error(restart.Value, $"{where}.restart must be one of {string.Join(", ", Modes.Keys)}; got {YamlSource.Describe(restart.Value)}."),
            };
        }

        if (fields.TryGetValue("backoff_seconds", out var backoff))
        {
            policy = policy with { Backoff = source.Seconds(backoff.Value, $"{where}.backoff_seconds", exclusive: true) };
        }

        if (fields.TryGetValue("max_backoff_seconds", out var maxBackoff))
        {
            policy = policy with { MaxBackoff = source.Seconds(maxBackoff.Value, $"{where}.max_backoff_seconds", exclusive: true) };
            if (policy.MaxBackoff < policy.Backoff)
            {
                throw source.Error(maxBackoff.Value, $"{where}.max_backoff_seconds ({policy.MaxBackoff.TotalSeconds}) must be at least backoff_seconds ({policy.Backoff.TotalSeconds}).");
            }
        }
        else if (policy.MaxBackoff < policy.Backoff)
        {
            // A first wait longer than the default ceiling: the user asked for no growth beyond it.
            policy = policy with { MaxBackoff = policy.Backoff };
        }

        if (fields.TryGetValue("max_restarts", out var maxRestarts))
        {
            policy = policy with { MaxRestarts = source.Integer(maxRestarts.Value, $"{where}.max_restarts", 0, int.MaxValue) };
        }

        if (fields.TryGetValue("stable_seconds", out var stable))
        {
            policy = policy with { StableAfter = source.Seconds(stable.Value, $"{where}.stable_seconds", exclusive: true) };
        }

        return policy;
    }

    public static ShutdownPolicy Shutdown(YamlSource source, YamlNode node, string where)
    {
        var fields = source.Fields(source.Mapping(node, where, "a mapping with signal and timeout_seconds"), where, ShutdownKeys);
        var signal = fields.TryGetValue("signal", out var signalField) ? Signal(source, signalField.Value, $"{where}.signal") : 15;
        TimeSpan? timeout = fields.TryGetValue("timeout_seconds", out var timeoutField)
            ? source.Seconds(timeoutField.Value, $"{where}.timeout_seconds", exclusive: true)
            : null;
        return new ShutdownPolicy(signal, timeout);
    }

    private static int Signal(YamlSource source, YamlNode node, string where)
    {
        var text = source.String(node, where);
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var number) && number is >= 1 and <= 64)
        {
            return number;
        }

        var name = text.StartsWith("SIG", StringComparison.OrdinalIgnoreCase) ? text[3..] : text;
        return SignalNumbers.TryGetValue(name, out var byName)
            ? byName
            : throw source.Error(node, $"{where} must be a signal name (e.g. SIGTERM, SIGINT, SIGQUIT, SIGHUP, INT) or a number from 1 to 64; got {YamlSource.Describe(node)}.");
    }
}
