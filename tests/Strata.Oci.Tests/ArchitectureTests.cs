using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Strata.Oci.Tests;

/// <summary>
/// The layering of docs/architecture.md, read from the project files: every part of src/ references only the
/// parts below it, never one above or beside it, and only Strata.Linux calls native code.
/// </summary>
public partial class ArchitectureTests
{
    private const string Oci = "Strata.Oci";
    private const string Linux = "Strata.Linux";
    private const string Cgroups = "Strata.Cgroups";
    private const string Runtime = "Strata.Runtime";
    private const string Images = "Strata.Images";
    private const string Registry = "Strata.Registry";
    private const string Metrics = "Strata.Metrics";
    private const string Engine = "Strata.Engine";
    private const string EngineApi = "Strata.Engine.Api";
    private const string Logs = "Strata.Logs";

    /// <summary>Each part and the parts it may reference. A new part gets its row before its first build.</summary>
    private static readonly Dictionary<string, string[]> Allowed = new(StringComparer.Ordinal)
    {
        // The bottom: models and the one interop project, BCL only.
        [Oci] = [],
        [Linux] = [],
        // docker's json-file logs and the multiplexed stream framing: the per-container monitor (NativeAOT) writes them.
        [Logs] = [],
        [Cgroups] = [Oci, Linux],
        [Runtime] = [Cgroups, Oci, Linux],
        ["Strata.Runtime.Cli"] = [Runtime, Cgroups, Oci, Linux],
        // strata-monitor, one per running container (NativeAOT): stdio, logs and the exit status, nothing more.
        ["Strata.Monitor"] = [Oci, Linux, Logs],
        // Images and the registry know nothing of containers or cgroups.
        [Images] = [Oci, Linux],
        [Registry] = [Oci, Linux],
        // Container and host metrics read from the cgroups and /proc, for the engine and the console.
        [Metrics] = [Cgroups, Oci, Linux],
        // The daemon: containers made from images, run by the runtime.
        [Engine] = [Images, Runtime, Metrics, Cgroups, Oci, Linux, Logs],
        // Planned, above the engine: image builds run their steps as the engine's containers; the Kubernetes
        // CRI and the deployment controllers drive the engine.
        ["Strata.Build"] = [Engine, Images, Runtime, Metrics, Cgroups, Oci, Linux, Logs],
        ["Strata.Cri"] = [Engine, Images, Runtime, Metrics, Cgroups, Oci, Linux, Logs],
        ["Strata.Deploy"] = [Engine, Images, Runtime, Metrics, Cgroups, Oci, Linux, Logs],
        // The Docker Engine API over the engine; the daemon (`strata daemon`) hosts it.
        [EngineApi] = [Engine, Images, Runtime, Metrics, Cgroups, Oci, Linux, Logs],
        // The top: the `strata` command and the (planned) web console host the libraries; nothing references them.
        ["Strata.Cli"] = [EngineApi, Engine, Images, Registry, Runtime, Metrics, Cgroups, Oci, Linux, Logs, "Strata.Build", "Strata.Deploy"],
        ["Strata.Console"] = [EngineApi, Engine, Images, Registry, Runtime, Metrics, Cgroups, Oci, Linux, Logs, "Strata.Deploy"],
    };

    [Fact]
    public void ProjectReferences_PointOnlyDownward()
    {
        var problems = new List<string>();
        var projects = Directory.GetFiles(Path.Combine(RepoRoot, "src"), "*.csproj", SearchOption.AllDirectories);
        Assert.NotEmpty(projects);
        foreach (var project in projects)
        {
            var name = Path.GetFileNameWithoutExtension(project);
            if (!Allowed.TryGetValue(name, out var allowed))
            {
                problems.Add($"{name} has no place in the layer table of {nameof(ArchitectureTests)} (and docs/architecture.md)");
                continue;
            }
            foreach (var reference in References(project))
            {
                if (!allowed.Contains(reference))
                    problems.Add($"{name} -> {reference}: {name} may reference only {(allowed.Length == 0 ? "the BCL" : string.Join(", ", allowed))}");
            }
        }
        Assert.True(problems.Count == 0, string.Join('\n', problems));
    }

    [Fact]
    public void NativeCalls_OnlyInStrataLinux()
    {
        var src = Path.Combine(RepoRoot, "src");
        var offenders = Directory.GetFiles(src, "*.cs", SearchOption.AllDirectories)
            .Select(f => Path.GetRelativePath(RepoRoot, f))
            .Where(f => !IsBuildOutput(f) && !f.StartsWith("src/Strata.Linux/", StringComparison.Ordinal))
            .Where(f => NativeCall().IsMatch(File.ReadAllText(Path.Combine(RepoRoot, f))))
            .ToList();
        Assert.True(offenders.Count == 0, "P/Invoke outside src/Strata.Linux (move it there): " + string.Join(", ", offenders));
    }

    /// <summary>The checks themselves: a reference the table refuses and a P/Invoke outside Strata.Linux are found.</summary>
    [Fact]
    public void Checks_FindWhatTheyLookFor()
    {
        var dir = Directory.CreateTempSubdirectory("strata-arch-").FullName;
        try
        {
            var project = Path.Combine(dir, "Strata.Images.csproj");
            File.WriteAllText(project, """
                <Project Sdk="Microsoft.NET.Sdk">
                  <ItemGroup>
                    <ProjectReference Include="../Strata.Oci/Strata.Oci.csproj" />
                    <ProjectReference Include="..\Strata.Cgroups\Strata.Cgroups.csproj" />
                  </ItemGroup>
                </Project>
                """);
            var references = References(project);
            Assert.Equal([Oci, Cgroups], references);
            Assert.DoesNotContain(Cgroups, Allowed[Images]);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
        Assert.Matches(NativeCall(), "    [LibraryImport(\"libc\", SetLastError = true)]");
        Assert.Matches(NativeCall(), "[DllImport(\"libc\")] static extern int getpid();");
        Assert.DoesNotMatch(NativeCall(), "// callers use Sys, never a DllImport of their own");
    }

    /// <summary>
    /// The table is closed downward (a part may use what the parts below it use) and no part may use itself,
    /// which together rule out any cycle.
    /// </summary>
    [Fact]
    public void LayerTable_ClosedDownwardWithoutCycles()
    {
        foreach (var (name, allowed) in Allowed)
        {
            Assert.DoesNotContain(name, allowed);
            foreach (var below in allowed)
            {
                Assert.True(Allowed.TryGetValue(below, out var belowAllowed), $"{name} may reference {below}, which the table does not place");
                var missing = belowAllowed.Except(allowed).ToList();
                Assert.True(missing.Count == 0, $"{name} may reference {below} but not what {below} may: {string.Join(", ", missing)}");
            }
        }
    }

    private static List<string> References(string project) =>
        XDocument.Load(project).Descendants("ProjectReference")
            .Select(r => (string?)r.Attribute("Include") ?? "")
            .Select(include => Path.GetFileNameWithoutExtension(include.Replace('\\', '/')))
            .ToList();

    private static bool IsBuildOutput(string relative) =>
        relative.Split('/').Any(part => part is "bin" or "obj");

    /// <summary>A P/Invoke declaration, or native code loaded by hand.</summary>
    [GeneratedRegex(@"\[\s*(DllImport|LibraryImport)(Attribute)?\s*\(|\bNativeLibrary\s*\.\s*(Load|TryLoad|GetExport|TryGetExport)\b")]
    private static partial Regex NativeCall();

    private static string RepoRoot
    {
        get
        {
            for (var dir = AppContext.BaseDirectory; dir is not null; dir = Path.GetDirectoryName(dir))
            {
                if (File.Exists(Path.Combine(dir, "Strata.slnx")))
                    return dir;
            }
            throw new InvalidOperationException($"no Strata.slnx above {AppContext.BaseDirectory}");
        }
    }
}
