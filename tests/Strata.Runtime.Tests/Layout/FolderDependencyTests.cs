using System.Text.RegularExpressions;

namespace Strata.Runtime.Tests.Layout;

/// <summary>
/// The folders of Strata.Runtime reference one another one way only: Lifecycle (the parent's verbs) uses Init
/// (the container's init and its protocol), and both use Config and State. A reference back up would let the
/// next change grow a cycle unnoticed.
/// </summary>
public class FolderDependencyTests
{
    public static TheoryData<string, string> Forbidden => new()
    {
        { "Init", "Lifecycle" },
        { "Config", "Lifecycle" },
        { "Config", "Init" },
        { "State", "Lifecycle" },
        { "State", "Init" },
        { "State", "Config" },
    };

    [Theory]
    [MemberData(nameof(Forbidden))]
    public void Folder_DoesNotReferenceTheFolderAboveIt(string folder, string above)
    {
        var dir = Path.Combine(SourceRoot(), folder);
        Assert.True(Directory.Exists(dir), $"{dir} is missing");
        // A namespace-qualified name or a using directive; prose in comments says "the init", never "Init.".
        var reference = new Regex($@"\bStrata\.Runtime\.{above}\b|(?<![\w.]){above}\.[A-Z]", RegexOptions.CultureInvariant);
        var offenders = new List<string>();
        foreach (var file in Directory.EnumerateFiles(dir, "*.cs", SearchOption.AllDirectories))
        {
            var lines = File.ReadAllLines(file);
            for (var i = 0; i < lines.Length; i++)
            {
                if (reference.IsMatch(lines[i]))
                    offenders.Add($"{Path.GetFileName(file)}:{i + 1}: {lines[i].Trim()}");
            }
        }
        Assert.True(offenders.Count == 0, $"{folder}/ references {above}/:\n{string.Join('\n', offenders)}");
    }

    private static string SourceRoot()
    {
        var dir = AppContext.BaseDirectory;
        while (dir is not null && !File.Exists(Path.Combine(dir, "Strata.slnx")))
            dir = Path.GetDirectoryName(dir);
        Assert.NotNull(dir);
        return Path.Combine(dir, "src", "Strata.Runtime");
    }
}
