using Strata.Oci.Runtime;

namespace Strata.Cgroups.V2;

/// <summary>The spec's linux.resources.unified map: file name to value, written as given (config-linux.md "Unified").</summary>
internal sealed class UnifiedFiles : IController
{
    string? IController.Name => null;

    void IController.Apply(CgroupFiles files, string directory, LinuxResources resources, Action<string> warn) => Apply(files, directory, resources.Unified!);

    public static void Apply(CgroupFiles files, string dir, Dictionary<string, string> values)
    {
        foreach ((string file, string value) in values)
        {
            if (file.Length == 0 || file.Contains('/', StringComparison.Ordinal) || file.Contains("..", StringComparison.Ordinal))
                throw new CgroupException($"linux.resources.unified key \"{file}\" is not a cgroup file name");
            files.Write(dir, file, value);
        }
    }
}
