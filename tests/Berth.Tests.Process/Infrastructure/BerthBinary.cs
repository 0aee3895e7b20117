namespace Berth.Tests.Process.Infrastructure;

/// <summary>Where the built `berth` is: src/Daemon/bin/{same configuration as this test}/net10.0/berth.dll.</summary>
internal static class BerthBinary
{
    public static string DllPath { get; } = Locate();

    /// <summary>The dotnet host that runs this test (the SDK sets DOTNET_HOST_PATH), so the child uses the same runtime.</summary>
    public static string DotnetHost { get; } =
        Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath && File.Exists(hostPath) ? hostPath : "dotnet";

    private static string Locate()
    {
        // AppContext.BaseDirectory = <repo>/tests/Berth.Tests.Process/bin/<Configuration>/<tfm>/
        var testOutput = new DirectoryInfo(AppContext.BaseDirectory.TrimEnd(Path.DirectorySeparatorChar));
        var targetFramework = testOutput.Name;
        var configuration = testOutput.Parent!.Name;
        var root = testOutput;
        while (root is not null && !File.Exists(Path.Combine(root.FullName, "Reconciler.sln")))
        {
            root = root.Parent;
        }

        if (root is null)
        {
            throw new InvalidOperationException($"no Reconciler.sln above {AppContext.BaseDirectory}");
        }

        var dll = Path.Combine(root.FullName, "src", "Daemon", "bin", configuration, targetFramework, "berth.dll");
        return File.Exists(dll) ? dll : throw new FileNotFoundException($"berth.dll not built at {dll}; build Reconciler.sln first", dll);
    }
}
