namespace Berth.Tests.Infrastructure;

/// <summary>Files of this repository the tests check (the dashboard, the rules), found from the test binary upwards.</summary>
public static class RepositoryFiles
{
    public static string Root { get; } = FindRoot();

    public static string Dashboard => Path.Combine(Root, "packaging", "grafana", "berth-dashboard.json");

    public static string AlertRules => Path.Combine(Root, "packaging", "prometheus", "berth-alerts.yml");

    public static string AlertRuleTests => Path.Combine(Root, "packaging", "prometheus", "berth-alerts.test.yml");

    public static string ScrapeConfig => Path.Combine(Root, "packaging", "prometheus", "scrape-config.yml");

    private static string FindRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Reconciler.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException($"Reconciler.sln not found above {AppContext.BaseDirectory}");
    }
}
