using System.Text.Json;

namespace Brummer.Tests;

/// <summary>A throwaway project directory with a package.json whose scripts the test defines.</summary>
public sealed class StackDirectory : IDisposable
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public StackDirectory(IReadOnlyDictionary<string, string> scripts, string? packageJson = null)
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "brummer-tests", Guid.NewGuid().ToString("n")[..12]);
        Directory.CreateDirectory(Path);
        System.IO.File.WriteAllText(
            System.IO.Path.Combine(Path, "package.json"),
            packageJson ?? JsonSerializer.Serialize(new { name = "test-stack", @private = true, scripts }, Indented));
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
