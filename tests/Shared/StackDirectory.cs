using System.Text.Json;

namespace Brummer.Tests;

/// <summary>A throwaway project directory with a package.json whose scripts the test defines, or with the files it lists.</summary>
public sealed class StackDirectory : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public StackDirectory(IReadOnlyDictionary<string, string> scripts, string? packageJson = null)
        : this()
    {
        Write("package.json", packageJson ?? JsonSerializer.Serialize(new { name = "test-stack", @private = true, scripts }, Indented));
    }

    private StackDirectory()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "brummer-tests", Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(Path);
    }

    /// <summary>A directory holding only these files (name, content): e.g. a brummer.yaml and its env files, no package.json.</summary>
    public static StackDirectory WithFiles(params (string Name, string Content)[] files)
    {
        var stack = new StackDirectory();
        foreach (var (name, content) in files)
        {
            stack.Write(name, content);
        }

        return stack;
    }

    /// <summary>Writes (or replaces) a file of the stack; returns its path.</summary>
    public string Write(string name, string content)
    {
        var path = File(name);
        System.IO.File.WriteAllText(path, content);
        return path;
    }

    public string Path { get; }

    /// <summary>A file path inside the stack for pid files and markers.</summary>
    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
