namespace Berth.Tests.Systemd.Infrastructure;

/// <summary>
/// The two packages the tests install: the current build and a newer one (patch version + 1) for the
/// upgrade check. Built once per test run with packaging/deb/build-deb.sh (which also runs lintian and
/// fails on errors), into a temporary directory, unless BERTH_DEB / BERTH_DEB_UPGRADE name prebuilt ones.
/// </summary>
public static class DebPackages
{
    public const string CurrentVariable = "BERTH_DEB";
    public const string UpgradeVariable = "BERTH_DEB_UPGRADE";

    private static readonly TimeSpan BuildTimeout = TimeSpan.FromMinutes(15);
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? current;
    private static string? upgrade;

    public static string CurrentVersion => RepositoryRoot.ProductVersion();

    public static string UpgradeVersion
    {
        get
        {
            var parts = CurrentVersion.Split('.');
            return $"{parts[0]}.{parts[1]}.{int.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture) + 1}";
        }
    }

    public static Task<string> CurrentAsync() => GetAsync(CurrentVariable, CurrentVersion, () => current, path => current = path);

    public static Task<string> UpgradeAsync() => GetAsync(UpgradeVariable, UpgradeVersion, () => upgrade, path => upgrade = path);

    private static async Task<string> GetAsync(string variable, string version, Func<string?> cached, Action<string> store)
    {
        await Gate.WaitAsync();
        try
        {
            if (cached() is { } path)
            {
                return path;
            }

            var prebuilt = Environment.GetEnvironmentVariable(variable);
            // A relative path is relative to the repository root (where scripts/test.sh runs).
            var built = !string.IsNullOrEmpty(prebuilt) ? Path.GetFullPath(prebuilt, RepositoryRoot.Path) : await BuildAsync(version);
            Assert.True(File.Exists(built), $"{variable}: {built} does not exist");
            store(built);
            return built;
        }
        finally
        {
            Gate.Release();
        }
    }

    private static async Task<string> BuildAsync(string version)
    {
        var output = Path.Combine(Path.GetTempPath(), "berth-test-debs");
        Directory.CreateDirectory(output);
        var environment = new Dictionary<string, string>
        {
            ["BERTH_VERSION"] = version,
            ["BERTH_DEB_OUT"] = output,
            ["BERTH_LINTIAN"] = "1",
            // gzip: seconds instead of minutes for 100 MB; the release build uses xz.
            ["BERTH_DEB_COMPRESSION"] = "gzip",
        };
        var result = await Command.CheckedAsync(
            Path.Combine(RepositoryRoot.Path, "packaging/deb/build-deb.sh"), [], BuildTimeout, environment);
        // The script prints the package's path as its last line.
        return result.Stdout.TrimEnd().Split('\n')[^1].Trim();
    }
}
