using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

public sealed class DependsOnReaderTests
{
    [Fact]
    public void ListAndMap_MapToSortedDependencies()
    {
        var stack = LoadStack("""
            services:
              web:
                image: busybox
                depends_on:
                  db: { condition: service_healthy, restart: false }
                  cache:
                  migrate: { condition: service_started, required: true }
              worker:
                image: busybox
                depends_on: [db, cache]
              db: { image: busybox }
              cache: { image: busybox }
              migrate: { image: busybox }
            """);

        var web = stack.Services.Single(service => service.Name == "web");
        Assert.Equal(
            [
                new ServiceDependency("cache", DependencyCondition.ServiceStarted, Restart: false, Required: true),
                new ServiceDependency("db", DependencyCondition.ServiceHealthy, Restart: false, Required: true),
                new ServiceDependency("migrate", DependencyCondition.ServiceStarted, Restart: false, Required: true),
            ],
            web.DependsOn.ToArray());
        Assert.Equal(
            [new ServiceDependency("cache", DependencyCondition.ServiceStarted, false, true), new ServiceDependency("db", DependencyCondition.ServiceStarted, false, true)],
            stack.Services.Single(service => service.Name == "worker").DependsOn.ToArray());
    }

    [Fact]
    public void UnknownTarget_IsAnErrorWithAHint()
    {
        Assert.Equal(
            ["4:18: service 'web' depends on unknown service 'dbb', did you mean 'db'?"],
            Errors("services:\n  web:\n    image: busybox\n    depends_on: [dbb]\n  db:\n    image: busybox\n"));
    }

    [Fact]
    public void Cycle_IsReportedOnceWithItsPath()
    {
        var errors = Errors("""
            services:
              a:
                image: busybox
                depends_on: [b]
              b:
                image: busybox
                depends_on:
                  c: { condition: service_started }
              c:
                image: busybox
                depends_on: [a]
            """);

        Assert.Equal(["11:18: depends_on cycle: a -> b -> c -> a"], errors);
    }

    [Fact]
    public void InvalidCondition_IsAnErrorWithAHint()
    {
        Assert.Equal(
            ["5:24: services.web.depends_on.db.condition must be one of service_started, service_healthy, service_completed_successfully, not 'service_healty', did you mean 'service_healthy'?"],
            Errors("services:\n  web:\n    image: busybox\n    depends_on:\n      db: { condition: service_healty }\n  db:\n    image: busybox\n"));
    }

    [Fact]
    public void ServiceCompletedSuccessfully_MakesTheTargetAJob_AndOnlyIt()
    {
        var stack = LoadStack("""
            services:
              web:
                image: busybox
                depends_on:
                  migrate: { condition: service_completed_successfully }
                  db: { condition: service_healthy }
              migrate:
                image: busybox
                restart: on-failure:3
                depends_on: [db]
              db: { image: busybox }
            """);

        var web = stack.Services.Single(service => service.Name == "web");
        Assert.Contains(new ServiceDependency("migrate", DependencyCondition.ServiceCompletedSuccessfully, Restart: false, Required: true), web.DependsOn);
        Assert.Equal(["migrate"], stack.Services.Where(service => service.Job).Select(service => service.Name));
    }

    [Fact]
    public void Job_IsNotPartOfTheConfigHash()
    {
        // Whether a service is a job follows from its dependants; its container is the same either way.
        var asJob = LoadStack("services:\n  web:\n    image: busybox\n    depends_on:\n      migrate: { condition: service_completed_successfully }\n  migrate:\n    image: busybox\n");
        var asService = LoadStack("services:\n  web:\n    image: busybox\n    depends_on: [migrate]\n  migrate:\n    image: busybox\n");

        Assert.Equal(asService.Services.Single(service => service.Name == "migrate").ConfigHash, asJob.Services.Single(service => service.Name == "migrate").ConfigHash);
    }

    [Theory]
    [InlineData("restart: always", "8:14", "always")]
    [InlineData("restart: unless-stopped", "8:14", "unless-stopped")]
    [InlineData("deploy: { restart_policy: { condition: any } }", "8:31", "always")]
    public void Job_WithARestartPolicyThatNeverLetsItComplete_IsAnErrorWhereItIsWritten(string restart, string at, string policy)
    {
        Assert.Equal(
            [$"{at}: service 'migrate' is a one-shot job ('web' depends on it with condition service_completed_successfully), and restart policy {policy} restarts it after it exits, so it would never complete; use no or on-failure[:N]"],
            Errors($"services:\n  web:\n    image: busybox\n    depends_on:\n      migrate: {{ condition: service_completed_successfully }}\n  migrate:\n    image: busybox\n    {restart}\n"));
    }

    [Fact]
    public void RestartTrue_IsKeptOnTheDependency()
    {
        var stack = LoadStack("services:\n  web:\n    image: busybox\n    depends_on:\n      db: { condition: service_healthy, restart: true }\n  db:\n    image: busybox\n");

        Assert.Equal(
            [new ServiceDependency("db", DependencyCondition.ServiceHealthy, Restart: true, Required: true)],
            stack.Services.Single(service => service.Name == "web").DependsOn.ToArray());
    }

    [Fact]
    public void RequiredFalse_TargetMissing_IsIgnoredAsComposeDoes_ButAPresentTargetIsKept()
    {
        var stack = LoadStack("services:\n  web:\n    image: busybox\n    depends_on:\n      cache: { required: false }\n      db: { required: false }\n  db:\n    image: busybox\n");

        Assert.Equal(
            [new ServiceDependency("db", DependencyCondition.ServiceStarted, Restart: false, Required: false)],
            stack.Services.Single(service => service.Name == "web").DependsOn.ToArray());
    }

    [Fact]
    public void RequiredTrue_TargetMissing_IsStillAnError()
    {
        Assert.Equal(
            ["5:7: service 'web' depends on unknown service 'cache'"],
            Errors("services:\n  web:\n    image: busybox\n    depends_on:\n      cache: { required: true }\n  db:\n    image: busybox\n"));
    }
}
