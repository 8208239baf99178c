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

    /// <summary>
    /// A copy of a stack in the repository (e.g. examples/microservices) without its build output (bin, obj,
    /// node_modules): a test runs its own copy, so the processes, ports and build output of two test assemblies running
    /// the same example at once never mix, and what is left running in it is this test's alone.
    /// </summary>
    public static StackDirectory CopyOf(string source)
    {
        var stack = new StackDirectory();
        Copy(new DirectoryInfo(source), stack.Path);
        return stack;

        static void Copy(DirectoryInfo from, string to)
        {
            Directory.CreateDirectory(to);
            foreach (var file in from.EnumerateFiles())
            {
                file.CopyTo(System.IO.Path.Combine(to, file.Name));
            }

            foreach (var dir in from.EnumerateDirectories().Where(d => d.Name is not ("bin" or "obj" or "node_modules")))
            {
                Copy(dir, System.IO.Path.Combine(to, dir.Name));
            }
        }
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
