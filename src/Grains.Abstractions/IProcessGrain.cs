namespace Brummer.Grains.Abstractions;

/// <summary>
/// One script on one node, keyed <c>node/script</c> (<see cref="ProcessKey"/>). Calls are serialized by the grain,
/// so a script never runs twice at once.
/// </summary>
[Alias("brummer.process")]
public interface IProcessGrain : IGrainWithStringKey
{
    /// <summary>Starts the script, returning once its OS process exists; returns the running one if already running.</summary>
    [Alias("run")]
    Task<RunResult> RunAsync();

    /// <summary>Stops the script's whole process group and returns once none of it is left.</summary>
    [Alias("stop")]
    Task<ProcessInfo> StopAsync();

    /// <summary>Stops the script if it runs, then runs it again, counting the restart.</summary>
    [Alias("restart")]
    Task<ProcessInfo> RestartAsync();
}
