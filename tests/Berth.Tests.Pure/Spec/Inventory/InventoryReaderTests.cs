using Berth.Reconciler.Spec.Model;

namespace Berth.Tests.Spec.Inventory;

public sealed class InventoryReaderTests
{
    private const string Compose = "services:\n  web: { image: busybox }\n";

    private static SpecTestRepository Repository(string inventory) =>
        new SpecTestRepository().With("berth.yaml", inventory).With("a.yaml", Compose).With("b.yaml", Compose.Replace("web", "api", StringComparison.Ordinal));

    [Fact]
    public void Targets_NamesSelectorAndBoth_ResolvePerHost()
    {
        var repository = Repository("""
            hosts:
              app1: { labels: { role: app, env: prod } }
              app2: { labels: { role: app, env: test } }
              db1: { labels: { role: db } }
            stacks:
              a:
                compose: a.yaml
                hosts: { selector: { role: app, env: prod }, names: [db1] }
              b:
                compose: [b.yaml]
                hosts: [app2]
            settings: { allow_empty_state: true, prune_volumes: true }
            """);

        Assert.Equal(["a"], repository.LoadHost("app1").State!.Stacks.Select(stack => stack.Name));
        Assert.Equal(["b"], repository.LoadHost("app2").State!.Stacks.Select(stack => stack.Name));
        Assert.Equal(["a"], repository.LoadHost("db1").State!.Stacks.Select(stack => stack.Name));
        Assert.Equal(new RepositorySettings(AllowEmptyState: true, PruneVolumes: true), repository.LoadHost("db1").State!.Settings);
    }

    [Fact]
    public void EmptySelector_MatchesEveryHost()
    {
        var repository = Repository("hosts: { x: {}, y: {} }\nstacks:\n  a: { compose: a.yaml, hosts: { selector: {} } }\n");

        Assert.Single(repository.LoadHost("y").State!.Stacks);
    }

    [Fact]
    public void SettingsDefault_IsFalse()
    {
        Assert.Equal(RepositorySettings.Default, Repository("hosts: { x: {} }\n").LoadHost("x").State!.Settings);
    }

    [Theory]
    [InlineData("hosts: { x: {} }\nstacks:\n  a: { compose: a.yaml, hosts: [y] }\n", "berth.yaml:3:33: stack 'a' names unknown host 'y'; define it under hosts:, did you mean 'x'?")]
    [InlineData("hosts: { x: {} }\nstacks:\n  a: { compose: nope.yaml, hosts: [x] }\n", "berth.yaml:3:17: stacks.a.compose: Compose file 'nope.yaml' does not exist")]
    [InlineData("hosts: { x: {} }\nstacks:\n  a: { compose: ../a.yaml, hosts: [x] }\n", "berth.yaml:3:17: stacks.a.compose: '../a.yaml' must be a relative path inside the repository")]
    [InlineData("hosts: { x: {} }\nstacks:\n  a: { compose: a.yaml }\n", "berth.yaml:3:3: stack 'a' needs 'hosts': a list of host names, or { selector: { label: value } }")]
    [InlineData("hosts: { x: {} }\nstacks:\n  a: { hosts: [x] }\n", "berth.yaml:3:3: stack 'a' needs 'compose': the path of its Compose file (or a list of them)")]
    [InlineData("hosts: { x: {} }\nstacks:\n  Shop: { compose: a.yaml, hosts: [x] }\n", "berth.yaml:3:3: invalid stack name 'Shop' (Compose project names: lowercase letters, digits, '-', '_'; starting with a letter or digit)")]
    [InlineData("hosts:\n  x: { lables: {} }\n", "berth.yaml:2:8: unknown key 'lables' in hosts.x, did you mean 'labels'?")]
    [InlineData("hosts:\n  x: { vars: { 1BAD: v } }\n", "berth.yaml:2:16: invalid variable name '1BAD' (letters, digits and '_', not starting with a digit)")]
    [InlineData("hosts: { x: {} }\nsettings: { prune_volume: true }\n", "berth.yaml:2:13: unknown key 'prune_volume' in settings, did you mean 'prune_volumes'?")]
    [InlineData("hosts: { x: {} }\nstack: {}\n", "berth.yaml:2:1: unknown key 'stack' at the top level, did you mean 'stacks'?")]
    [InlineData("hosts: { x: {} }\nstacks:\n  a: { compose: a.yaml, hosts: { selector: { role: [a] } } }\n", "berth.yaml:3:52: stacks.a.hosts.selector.role must be a string, not a list")]
    public void InvalidInventory_IsAnErrorAtItsPlace(string inventory, string expected)
    {
        var result = Repository(inventory).LoadHost("x");

        Assert.Equal([expected], result.Errors.Select(error => error.ToString()));
        Assert.Null(result.State);
    }

    [Fact]
    public void ComposeNameDifferentFromStackName_IsAnError()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", "hosts: { x: {} }\nstacks:\n  a: { compose: a.yaml, hosts: [x] }\n")
            .With("a.yaml", "name: other\nservices:\n  web: { image: busybox }\n");

        Assert.Equal(
            ["a.yaml:1:7: Compose name 'other' differs from the stack's name 'a' in berth.yaml; remove 'name:' or make them equal"],
            repository.LoadHost("x").Errors.Select(error => error.ToString()));
    }

    [Fact]
    public void BothInventoryFileNames_IsAnError()
    {
        var repository = Repository("hosts: { x: {} }\n").With("berth.yml", "hosts: {}\n");

        Assert.Equal(["berth.yml:1:1: both berth.yaml and berth.yml exist; keep one"], repository.LoadHost("x").Errors.Select(error => error.ToString()));
    }
}
