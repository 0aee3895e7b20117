namespace Berth.Tests.Spec.Compose;

public sealed class ComposeMergerTests
{
    private static SpecTestRepository Repository(string baseYaml, string overrideYaml) => new SpecTestRepository()
        .With("berth.yaml", "hosts: { h: {} }\nstacks:\n  app:\n    compose: [base.yaml, override.yaml]\n    hosts: [h]\n")
        .With("base.yaml", baseYaml)
        .With("override.yaml", overrideYaml);

    [Fact]
    public void Merge_OverrideFile_FollowsComposeRules()
    {
        var result = Repository(
            """
            services:
              web:
                image: app:1
                command: [serve, --port, "80"]
                labels: { a: base, b: base }
                dns: [1.1.1.1]
                cap_add: [CHOWN]
                healthcheck: { test: [CMD, "true"], interval: 10s, retries: 5 }
                logging: { driver: json-file, options: { max-size: 1m } }
                networks: [front]
                depends_on: [db]
                deploy: { replicas: 2, update_config: { delay: 5s, parallelism: 2 } }
              db: { image: postgres }
            networks: { front: {} }
            """,
            """
            services:
              web:
                command: serve --port 8080
                labels: [b=override, c=override]
                dns: [9.9.9.9]
                cap_add: [NET_ADMIN, CHOWN]
                healthcheck: { interval: 20s }
                logging: { driver: local }
                networks: { back: { aliases: [api] } }
                depends_on: { db: { condition: service_healthy } }
                deploy: { update_config: { delay: 1s } }
            networks: { back: { internal: true }, front: { labels: { x: y } } }
            """).LoadHost("h");

        Assert.Empty(result.Errors);
        var stack = result.State!.Stacks[0];
        var web = stack.Services.Single(service => service.Name == "web");
        var container = web.Container;
        Assert.Equal(["serve", "--port", "8080"], container.Command!.Value.ToArray());
        Assert.Equal(new Dictionary<string, string> { ["a"] = "base", ["b"] = "override", ["c"] = "override" }, container.Labels);
        Assert.Equal(["9.9.9.9"], container.Dns.ToArray());
        Assert.Equal(["CHOWN", "NET_ADMIN"], container.CapAdd.ToArray());
        Assert.Equal((TimeSpan.FromSeconds(20), 5), (container.HealthCheck!.Interval, container.HealthCheck.Retries));
        Assert.Equal("local", container.Logging!.Driver);
        Assert.Empty(container.Logging.Options);
        Assert.Equal(["back", "front"], container.Networks.Select(network => network.Key));
        Assert.Equal(Berth.Reconciler.Spec.Model.DependencyCondition.ServiceHealthy, web.DependsOn.Single().Condition);
        Assert.Equal((2, 2, TimeSpan.FromSeconds(1)), (web.Replicas, web.Update.Parallelism, web.Update.Delay));
        Assert.True(stack.Networks.Single(network => network.Key == "back").Internal);
        Assert.Equal("y", stack.Networks.Single(network => network.Key == "front").Labels["x"]);
    }

    [Fact]
    public void Merge_ServiceCompletedByAnOverride_IsValid()
    {
        var result = Repository("services:\n  web:\n    command: [serve]\n", "services:\n  web:\n    image: app:2\n").LoadHost("h");

        Assert.Empty(result.Errors);
        Assert.Equal("app:2", result.State!.Stacks[0].Services[0].Container.Image);
    }

    [Fact]
    public void Merge_ErrorsInEitherFile_AreReportedWithTheirFile()
    {
        var result = Repository("services:\n  web:\n    image: app:1\n    init: nope\n", "services:\n  web:\n    restart: sometimes\n").LoadHost("h");

        Assert.Equal(
            ["base.yaml:4:11: services.web.init must be true or false, not 'nope'", "override.yaml:3:14: services.web.restart must be no, always, on-failure, on-failure:N or unless-stopped, not 'sometimes'"],
            result.Errors.Select(error => error.ToString()));
    }
}
