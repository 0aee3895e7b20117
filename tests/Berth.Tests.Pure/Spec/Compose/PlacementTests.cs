using Berth.Reconciler.Spec;

namespace Berth.Tests.Spec.Compose;

/// <summary>`deploy.placement.constraints` matched against the host's name and labels in berth.yaml.</summary>
public sealed class PlacementTests
{
    private static SpecTestRepository Repository(string services) => new SpecTestRepository()
        .With("berth.yaml", """
            hosts:
              web-1: { labels: { role: app, zone: East } }
              gpu-1: { labels: { role: app, gpu: "true" } }
            stacks:
              app:
                compose: app/compose.yaml
                hosts: { selector: { role: app } }
            """)
        .With("app/compose.yaml", "services:\n" + services);

    private static string[] ServicesOn(SpecTestRepository repository, string host)
    {
        var result = repository.LoadHost(host);
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        return [.. result.State!.Stacks.SelectMany(stack => stack.Services).Select(service => service.Name).Order(StringComparer.Ordinal)];
    }

    [Fact]
    public void Constraints_OnLabelsAndHostname_PlaceEachServiceOnTheHostsWhereTheyAllHold()
    {
        var repository = Repository("""
              web: { image: busybox }
              trainer:
                image: busybox
                deploy: { placement: { constraints: ["node.labels.gpu == true"] } }
              east-only:
                image: busybox
                deploy: { placement: { constraints: [node.labels.zone==east, "node.hostname != gpu-1"] } }
              not-gpu:
                image: busybox
                deploy: { placement: { constraints: ["node.labels.gpu != true"] } }
            """);

        Assert.Equal(["east-only", "not-gpu", "web"], ServicesOn(repository, "web-1"));
        Assert.Equal(["trainer", "web"], ServicesOn(repository, "gpu-1"));
    }

    [Fact]
    public void ADependencyPlacedElsewhere_IsAnErrorForThatHost_UnlessNotRequired()
    {
        var repository = Repository("""
              trainer:
                image: busybox
                deploy: { placement: { constraints: ["node.labels.gpu == true"] } }
              api:
                image: busybox
                depends_on: [trainer]
              dashboard:
                image: busybox
                depends_on: { trainer: { condition: service_started, required: false } }
            """);

        var errors = repository.LoadHost("web-1").Errors.Select(error => error.ToString());

        Assert.Equal(["app/compose.yaml:7:18: service 'api' depends on 'trainer', which is placed elsewhere by deploy.placement.constraints (node.labels.gpu == true), not on host 'web-1'"], errors);
        Assert.Empty(repository.LoadHost("gpu-1").Errors);
    }

    [Theory]
    [InlineData("[node.role == manager]", "3:42: services.web.deploy.placement.constraints: 'node.role' is not supported by berth; it matches node.labels.KEY against the host's labels in berth.yaml and node.hostname against its name there")]
    [InlineData("[node.labels.gpu]", "3:42: services.web.deploy.placement.constraints: 'node.labels.gpu' is not a constraint; write node.labels.KEY == VALUE, node.labels.KEY != VALUE or node.hostname == NAME")]
    public void Constraints_OutsideWhatBerthKnows_AreErrors(string constraints, string expected)
    {
        Assert.Equal([expected], SpecTestRepository.Errors($"services:\n  web:\n    deploy: {{ placement: {{ constraints: {constraints} }} }}\n    image: busybox\n"));
    }

    [Fact]
    public void Preferences_AreAnErrorWithTheReason()
    {
        var error = Assert.Single(SpecTestRepository.Errors("services:\n  web:\n    image: busybox\n    deploy:\n      placement:\n        preferences: [{ spread: node.labels.zone }]\n"));

        Assert.StartsWith("6:9: 'services.web.deploy.placement.preferences' is not supported by berth", error, StringComparison.Ordinal);
    }
}
