using System.Collections.Immutable;

namespace Brummer.Grains.Discovery;

/// <summary>A discovered script and exactly how to start it.</summary>
/// <param name="Command">The script body as written, e.g. <c>node server.js</c>.</param>
/// <param name="Executable">The program to start (the package manager), resolved on PATH at run time.</param>
/// <param name="Arguments">Its arguments, e.g. <c>run web</c>.</param>
/// <param name="Source">Where the script came from, shown to users, e.g. <c>package.json (npm)</c>.</param>
public sealed record ScriptDefinition(
    string Name,
    string Command,
    string Executable,
    ImmutableArray<string> Arguments,
    string WorkingDirectory,
    string Source);
