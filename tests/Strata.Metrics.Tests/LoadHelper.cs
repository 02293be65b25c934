using System.Diagnostics;

namespace Strata.Metrics.Tests;

/// <summary>load-helper.c compiled once per test run with the machine's C compiler; null (a skip) without one.</summary>
internal static class LoadHelper
{
    private static readonly Lazy<string?> Compiled = new(Compile);

    public static string Path => Compiled.Value ?? throw new InvalidOperationException("no C compiler");

    /// <summary>Skips the test when the helper cannot be built here.</summary>
    public static void SkipUnlessAvailable()
    {
        Skip.IfNot(Environment.IsPrivilegedProcess, "needs root: creates cgroups");
        Skip.If(Compiled.Value is null, "needs a C compiler (clang or cc) to build the load helper");
    }

    private static string? Compile()
    {
        string source = System.IO.Path.Combine(AppContext.BaseDirectory, "load-helper.c");
        // Beside the tests' assembly: nothing left behind in /tmp, and a rebuild of the tests cleans it.
        string output = System.IO.Path.Combine(AppContext.BaseDirectory, "load-helper");
        foreach (string cc in new[] { "/usr/bin/clang", "/usr/bin/cc" })
        {
            if (!File.Exists(cc))
                continue;
            using var p = Process.Start(new ProcessStartInfo(cc, ["-O1", "-o", output, source]) { UseShellExecute = false, RedirectStandardError = true })!;
            p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode == 0)
                return output;
        }
        return null;
    }
}
