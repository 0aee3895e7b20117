using Berth.Reconciler.Spec;
using Berth.Reconciler.Spec.Model;

namespace Berth.Tests.Spec.Compose;

/// <summary>Compose profiles: which services run, chosen per stack in berth.yaml or by COMPOSE_PROFILES.</summary>
public sealed class ProfilesTests
{
    private const string Project = """
        name: app
        services:
          web:
            image: busybox
          debug:
            image: busybox
            profiles: [debug]
          tools:
            image: busybox
            profiles: [tools, debug]
        """;

    private static string[] ServiceNames(HostLoadResult result)
    {
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        return [.. result.State!.AllServices.Select(service => service.Name)];
    }

    private static SpecTestRepository Inventory(string stackExtra, string hostVars = "{}") => new SpecTestRepository()
        .With("berth.yaml", $"hosts:\n  h1: {{ vars: {hostVars} }}\n  h2: {{}}\nstacks:\n  app:\n    compose: app/compose.yaml\n    hosts: [h1, h2]\n{stackExtra}")
        .With("app/compose.yaml", Project);

    [Fact]
    public void Profiles_NoneActive_OnlyServicesWithoutProfilesRun()
    {
        Assert.Equal(["web"], ServiceNames(SpecTestRepository.Compose(Project).LoadHost()));
    }

    [Fact]
    public void Profiles_ComposeProfilesInTheProjectsDotEnv_ActivatesThem()
    {
        var result = SpecTestRepository.Compose(Project).With(".env", "COMPOSE_PROFILES=tools\n").LoadHost();

        Assert.Equal(["tools", "web"], ServiceNames(result));
    }

    [Fact]
    public void Profiles_NamedInBerthYaml_AreActiveOnEveryHostOfTheStack()
    {
        var repository = Inventory("    profiles: [debug]\n");

        Assert.Equal(["debug", "tools", "web"], ServiceNames(repository.LoadHost("h1")));
        Assert.Equal(["debug", "tools", "web"], ServiceNames(repository.LoadHost("h2")));
    }

    [Fact]
    public void Profiles_HostVarComposeProfiles_ActivatesThemOnThatHostOnly()
    {
        var repository = Inventory("", hostVars: "{ COMPOSE_PROFILES: 'tools, other' }");

        Assert.Equal(["tools", "web"], ServiceNames(repository.LoadHost("h1")));
        Assert.Equal(["web"], ServiceNames(repository.LoadHost("h2")));
    }

    [Fact]
    public void Profiles_EmptyListInBerthYaml_WinsOverComposeProfiles()
    {
        var repository = Inventory("    profiles: []\n", hostVars: "{ COMPOSE_PROFILES: tools }");

        Assert.Equal(["web"], ServiceNames(repository.LoadHost("h1")));
    }

    [Fact]
    public void Profiles_Star_ActivatesEveryProfile()
    {
        Assert.Equal(["debug", "tools", "web"], ServiceNames(Inventory("    profiles: '*'\n").LoadHost("h1")));
    }

    [Fact]
    public void Profiles_DoNotChangeTheConfigHash()
    {
        var withProfile = SpecTestRepository.Compose("name: app\nservices:\n  web:\n    image: busybox\n    profiles: [on]\n").With(".env", "COMPOSE_PROFILES=on\n").LoadHost();
        var without = SpecTestRepository.Compose("name: app\nservices:\n  web:\n    image: busybox\n").LoadHost();

        Assert.Equal(without.State!.AllServices.Single().ConfigHash, withProfile.State!.AllServices.Single().ConfigHash);
    }

    [Fact]
    public void Profiles_EveryServiceInactive_TheStackRunsNothingHere()
    {
        var result = new SpecTestRepository()
            .With("berth.yaml", "hosts:\n  h1: {}\nstacks:\n  app:\n    compose: compose.yaml\n    hosts: [h1]\n  other:\n    compose: other.yaml\n    hosts: [h1]\n")
            .With("compose.yaml", "services:\n  job:\n    image: busybox\n    profiles: [jobs]\n")
            .With("other.yaml", "services:\n  web:\n    image: busybox\n")
            .LoadHost("h1");

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        Assert.Equal(["other"], result.State!.Stacks.Select(stack => stack.Name));
    }

    [Fact]
    public void Profiles_ActiveServiceDependingOnAnInactiveOne_IsAnErrorAtTheDependency()
    {
        var errors = SpecTestRepository.Errors("""
            name: app
            services:
              web:
                image: busybox
                depends_on: [db]
              db:
                image: busybox
                profiles: [dev]
            """);

        Assert.Equal(
            ["5:18: service 'web' depends on 'db', which runs only with profile 'dev', not active here; activate it (stacks.app.profiles in berth.yaml or COMPOSE_PROFILES), or give 'db''s dependants the same profile"],
            errors);
    }

    [Fact]
    public void Profiles_DependencyOnAnInactiveServiceWithRequiredFalse_IsIgnoredAsComposeDoes()
    {
        var result = SpecTestRepository.Compose("""
            name: app
            services:
              web:
                image: busybox
                depends_on:
                  db: { required: false }
              db:
                image: busybox
                profiles: [dev]
            """).LoadHost();

        Assert.Equal(["web"], ServiceNames(result));
        Assert.Empty(result.State!.AllServices.Single().DependsOn);
    }

    [Fact]
    public void Profiles_UnknownInBerthYaml_IsAnErrorWithAHint()
    {
        var errors = Inventory("    profiles: [debgu]\n").LoadHost("h1").Errors.Select(error => error.ToString());

        Assert.Equal(["berth.yaml:8:16: stacks.app.profiles: no service of stack 'app' has profile 'debgu', did you mean 'debug'?"], errors);
    }

    [Theory]
    [InlineData("name: app\nservices:\n  web:\n    image: busybox\n    profiles: [-x]\n", "5:16: services.web.profiles: invalid profile name '-x' (letters, digits, '_', '.', '-', starting with a letter or digit)")]
    [InlineData("name: app\nservices:\n  web:\n    image: busybox\n    profiles: debug\n", "5:15: services.web.profiles must be a list, not a string")]
    public void Profiles_Invalid_AreErrorsAtTheValue(string yaml, string expected)
    {
        Assert.Equal([expected], SpecTestRepository.Errors(yaml));
    }
}
