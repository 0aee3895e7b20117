using Berth.Reconciler.Spec;

namespace Berth.Tests.Spec;

public sealed class SpecLoaderTests
{
    private const string SecretValue = "correct-horse-battery-staple";

    internal static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Reconciler.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Reconciler.sln not found above the test binaries");
    }

    [Theory]
    [InlineData("demo")]
    [InlineData("web-2")]
    public void ExamplesRepo_EachHost_Validates(string host)
    {
        var result = SpecLoader.LoadHost(Path.Combine(RepositoryRoot(), "examples", "repo"), host);

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        Assert.True(result.HostInInventory);
        var stack = Assert.Single(result.State!.Stacks);
        Assert.Equal("shop", stack.Name);
        Assert.Equal(["db", "web", "worker"], stack.Services.Select(service => service.Name));
    }

    [Fact]
    public void ExamplesRepo_Inventory_ListsItsHosts()
    {
        var result = SpecLoader.LoadInventory(Path.Combine(RepositoryRoot(), "examples", "repo"));

        Assert.Empty(result.Errors);
        Assert.Equal(["demo", "web-2"], result.Hosts.ToArray());
        Assert.True(result.HasInventory);
    }

    [Fact]
    public void LoadHost_HostNotInInventory_RunsNothingWithoutErrorAndSaysWhichHostsExist()
    {
        var result = SpecLoader.LoadHost(Path.Combine(RepositoryRoot(), "examples", "repo"), "stranger");

        Assert.False(result.HostInInventory);
        Assert.Empty(result.Errors);
        Assert.Empty(result.State!.Stacks);
        Assert.Equal(["demo", "web-2"], result.KnownHosts.ToArray());
        Assert.StartsWith("host stranger is not in the inventory (berth.yaml); known hosts: demo, web-2.", result.HostNotInInventoryMessage, StringComparison.Ordinal);
    }

    [Fact]
    public void LoadHost_MissingDirectory_Throws()
    {
        Assert.Throws<DirectoryNotFoundException>(() => SpecLoader.LoadHost("/nonexistent/berth-repo", "h"));
    }

    [Theory]
    [InlineData("compose.yaml", "compose.yaml")]  // a link to itself (found by the fault suite's hostile repositories)
    [InlineData("compose.yaml", "loop-a")]        // two links pointing at each other
    public void LoadHost_LoopOfSymbolicLinks_IsAnErrorOnTheFileNotAnException(string name, string target)
    {
        var repository = Directory.CreateTempSubdirectory("berth-repo-").FullName;
        try
        {
            if (target == "loop-a")
            {
                File.CreateSymbolicLink(Path.Combine(repository, "loop-a"), "loop-b");
                File.CreateSymbolicLink(Path.Combine(repository, "loop-b"), "loop-a");
            }

            File.CreateSymbolicLink(Path.Combine(repository, name), target);

            var result = SpecLoader.LoadHost(repository, "h");
            var inventory = SpecLoader.LoadInventory(repository);

            Assert.Null(result.State);
            var error = Assert.Single(result.Errors);
            Assert.Equal("compose.yaml:1:1: is a symbolic link that cannot be followed (a loop of links); berth reads only files inside the repository (copy the file in, or link to a path inside it)", error.ToString());
            Assert.Equal(error, Assert.Single(inventory.Errors));
        }
        finally
        {
            Directory.Delete(repository, recursive: true);
        }
    }

    [Fact]
    public void LoadHost_SymbolicLinkOutOfTheRepository_IsRefused()
    {
        var repository = Directory.CreateTempSubdirectory("berth-repo-").FullName;
        var outside = Path.GetTempFileName();
        try
        {
            File.WriteAllText(outside, "root:x:0:0:root:/root:/bin/bash\n");
            File.CreateSymbolicLink(Path.Combine(repository, "compose.yaml"), outside);

            var result = SpecLoader.LoadHost(repository, "h");

            Assert.Null(result.State);
            var error = Assert.Single(result.Errors);
            Assert.Equal("compose.yaml:1:1: is a symbolic link that leads out of the repository; berth reads only files inside the repository (copy the file in, or link to a path inside it)", error.ToString());
            Assert.DoesNotContain("root:x:0", error.ToString(), StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(repository, recursive: true);
            File.Delete(outside);
        }
    }

    [Fact]
    public void LoadHost_SymbolicLinkInsideTheRepository_IsFollowed()
    {
        var repository = Directory.CreateTempSubdirectory("berth-repo-").FullName;
        try
        {
            Directory.CreateDirectory(Path.Combine(repository, "real"));
            File.WriteAllText(Path.Combine(repository, "real", "compose.yaml"), "name: linked\nservices:\n  web: { image: busybox }\n");
            File.CreateSymbolicLink(Path.Combine(repository, "compose.yaml"), Path.Combine("real", "compose.yaml"));

            var result = SpecLoader.LoadHost(repository, "h");

            Assert.Equal("linked", Assert.Single(result.State!.Stacks).Name);
        }
        finally
        {
            Directory.Delete(repository, recursive: true);
        }
    }

    [Fact]
    public void LoadHost_NoInventory_RootComposeIsOneStackNamedAfterTheDirectory()
    {
        var repository = new SpecTestRepository { RootPath = "/srv/My Shop.v2" }.With("docker-compose.yml", "services:\n  web: { image: busybox }\n");

        var result = repository.LoadHost("any-host");

        Assert.Empty(result.Errors);
        Assert.True(result.HostInInventory);
        Assert.Equal("myshopv2", Assert.Single(result.State!.Stacks).Name);
    }

    [Fact]
    public void LoadHost_NoInventory_ComposeNameWins()
    {
        var result = SpecTestRepository.Compose("name: shop\nservices:\n  web: { image: busybox }\n").LoadHost();

        Assert.Equal("shop", Assert.Single(result.State!.Stacks).Name);
    }

    [Fact]
    public void LoadHost_EmptyRepository_IsAnError()
    {
        var result = new SpecTestRepository().LoadHost();

        Assert.Null(result.State);
        Assert.Equal("berth.yaml:1:1: not a berth repository: no berth.yaml, and no Compose file (compose.yaml, compose.yml, docker-compose.yaml, docker-compose.yml) at the root", Assert.Single(result.Errors).ToString());
    }

    [Fact]
    public void LoadHost_VariablePrecedence_StackThenHostThenHostLocal()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", """
                hosts:
                  h:
                    vars: { B: host, C: host }
                stacks:
                  app:
                    compose: app.yaml
                    hosts: [h]
                    vars: { A: stack, B: stack, C: stack }
                """)
            .With("app.yaml", "services:\n  web:\n    image: busybox\n    environment: { A: $A, B: $B, C: $C }\n");
        var options = new SpecLoadOptions { HostEnvironment = new Dictionary<string, string> { ["C"] = "local" } };

        var environment = repository.LoadHost("h", options).State!.Stacks[0].Services[0].Container.Environment;

        Assert.Equal(("stack", "host", "local"), (environment["A"], environment["B"], environment["C"]));
    }

    [Fact]
    public void LoadHost_HostEnvFiles_AreReadInOrderAndHostEnvironmentWins()
    {
        var first = Path.GetTempFileName();
        var second = Path.GetTempFileName();
        try
        {
            File.WriteAllText(first, "A=first\nB=first\nC=first\n");
            File.WriteAllText(second, "B=second\nC=second\n");
            var options = new SpecLoadOptions
            {
                HostEnvFiles = [first, second],
                HostEnvironment = new Dictionary<string, string> { ["C"] = "environment" },
            };

            var service = SpecTestRepository.LoadService("image: busybox\nenvironment: { A: $A, B: $B, C: $C }", options);

            Assert.Equal(("first", "second", "environment"), (service.Container.Environment["A"], service.Container.Environment["B"], service.Container.Environment["C"]));
        }
        finally
        {
            File.Delete(first);
            File.Delete(second);
        }
    }

    [Fact]
    public void Errors_AboutHostLocalValues_NeverContainTheValue()
    {
        var options = new SpecLoadOptions { HostEnvironment = new Dictionary<string, string> { ["DB_PASSWORD"] = SecretValue } };
        var yaml = """
            services:
              web:
                image: "busybox:${DB_PASSWORD}"
                stop_grace_period: ${DB_PASSWORD}
                ports: ["${DB_PASSWORD}"]
                restart: $DB_PASSWORD
                init: ${DB_PASSWORD}
                deploy: { resources: { limits: { memory: "${DB_PASSWORD}" } } }
                healthcheck: { retries: "${DB_PASSWORD}" }
                depends_on: { db: { condition: "${DB_PASSWORD}" } }
                volumes: ["${DB_PASSWORD}:relative"]
                extra_hosts: ["${DB_PASSWORD}"]
                environment: { ok: "${DB_PASSWORD}", bad: "${DB_PASSWORD:?oops}x${UNDEFINED}" }
              db: { image: busybox }
            """;

        var result = SpecTestRepository.Compose(yaml).LoadHost(options: options);

        Assert.True(result.Errors.Length >= 10, string.Join("\n", result.Errors));
        foreach (var error in result.Errors)
        {
            Assert.DoesNotContain(SecretValue, error.ToString(), StringComparison.Ordinal);
            Assert.DoesNotContain(SecretValue, error.Message, StringComparison.Ordinal);
        }

        Assert.Contains(result.Errors, error => error.Message.Contains("host-local variable DB_PASSWORD", StringComparison.Ordinal));
    }

    [Fact]
    public void LoadedState_WithASecretInItsEnvironment_NeverPrintsIt()
    {
        var options = new SpecLoadOptions { HostEnvironment = new Dictionary<string, string> { ["DB_PASSWORD"] = SecretValue } };

        var result = SpecTestRepository.Compose("services:\n  web:\n    image: busybox\n    environment: [PASSWORD=$DB_PASSWORD, DB_PASSWORD]\n").LoadHost(options: options);

        var service = result.State!.Stacks[0].Services[0];
        Assert.Equal(SecretValue, service.Container.Environment["PASSWORD"]);
        Assert.Equal(SecretValue, service.Container.Environment["DB_PASSWORD"]);
        foreach (var printed in new object[] { result, result.State, result.State.Stacks[0], service, service.Container })
        {
            Assert.DoesNotContain(SecretValue, printed.ToString(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Errors_InAHostEnvFile_NeverContainItsValues()
    {
        var file = Path.GetTempFileName();
        try
        {
            File.WriteAllText(file, $"GOOD=1\n{SecretValue} garbage\nQUOTED=\"{SecretValue}\n");

            var result = SpecTestRepository.Compose("services:\n  web: { image: busybox }\n").LoadHost(options: new SpecLoadOptions { HostEnvFiles = [file] });

            Assert.Equal(2, result.Errors.Length);
            Assert.All(result.Errors, error => Assert.DoesNotContain(SecretValue, error.ToString(), StringComparison.Ordinal));
            Assert.Equal((file, 2, 1), (result.Errors[0].File, result.Errors[0].Line, result.Errors[0].Column));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void LoadHost_TwoStacksProducingTheSameContainerName_IsAnError()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", "hosts: { h: {} }\nstacks:\n  a-b: { compose: one.yaml, hosts: [h] }\n  a: { compose: two.yaml, hosts: [h] }\n  c: { compose: three.yaml, hosts: [h] }\n")
            .With("one.yaml", "services:\n  c: { image: busybox }\n")
            .With("two.yaml", "services:\n  b-c: { image: busybox }\n")
            .With("three.yaml", "services:\n  x:\n    image: busybox\n    container_name: a-b-c-1\n");

        var errors = repository.LoadHost("h").Errors.Select(error => error.ToString());

        Assert.Equal(
            [
                "one.yaml:2:3: container name 'a-b-c-1' of stack 'a-b' service 'c' is also used by stack 'a' service 'b-c' on this host; rename a stack or service, or set container_name",
                "three.yaml:4:21: container name 'a-b-c-1' of stack 'c' service 'x' is also used by stack 'a' service 'b-c' on this host; rename a stack or service, or set container_name",
            ],
            errors);
    }

    [Fact]
    public void LoadHost_TwoStacksCreatingTheSameNamedNetworkOrVolume_IsAnErrorNamingBothPlaces()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", "hosts: { h: {} }\nstacks:\n  proxy: { compose: proxy.yaml, hosts: [h] }\n  app: { compose: app.yaml, hosts: [h] }\n")
            .With("proxy.yaml", "services:\n  traefik: { image: busybox, networks: [edge], volumes: [certs:/certs] }\nnetworks:\n  edge: { name: shared-edge }\nvolumes:\n  certs: { name: shared-certs }\n")
            .With("app.yaml", "services:\n  web: { image: busybox, networks: [front], volumes: [data:/data] }\nnetworks:\n  front:\n    name: shared-edge\nvolumes:\n  data:\n    name: shared-certs\n");

        var errors = repository.LoadHost("h").Errors.Select(error => error.ToString());

        Assert.Equal(
            [
                "proxy.yaml:4:3: network 'edge' of stack 'proxy' would create the network shared-edge, which network 'front' of stack 'app' (app.yaml:4:3) creates too. Let one of them create it and mark the other `external: true` (with name: shared-edge)",
                "proxy.yaml:6:3: volume 'certs' of stack 'proxy' would create the volume shared-certs, which volume 'data' of stack 'app' (app.yaml:7:3) creates too. Let one of them create it and mark the other `external: true` (with name: shared-certs)",
            ],
            errors);
    }

    [Fact]
    public void LoadHost_OneStackCreatesANetworkTheOtherUsesAsExternal_IsValid()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", "hosts: { h: {} }\nstacks:\n  proxy: { compose: proxy.yaml, hosts: [h] }\n  app: { compose: app.yaml, hosts: [h] }\n")
            .With("proxy.yaml", "services:\n  traefik: { image: busybox, networks: [edge] }\nnetworks:\n  edge: { name: shared-edge }\n")
            .With("app.yaml", "services:\n  web: { image: busybox, networks: [edge] }\nnetworks:\n  edge: { external: true, name: shared-edge }\n");

        Assert.Empty(repository.LoadHost("h").Errors);
    }

    [Fact]
    public void LoadHost_MultipleComposeFiles_MergeInOrder()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", "hosts: { h: {} }\nstacks:\n  app:\n    compose: [base.yaml, prod.yaml]\n    hosts: [h]\n")
            .With("base.yaml", "services:\n  web:\n    image: app:1\n    command: [serve]\n    environment: { A: base, B: base }\n    ports: [\"80\"]\n    volumes: [\"./a:/data\"]\n")
            .With("prod.yaml", "services:\n  web:\n    image: app:2\n    environment: [B=prod, C=prod]\n    ports: [\"443\"]\n    volumes: [\"./b:/data\"]\n    deploy: { replicas: 2 }\n  extra: { image: busybox }\n");

        var state = repository.LoadHost("h").State!;

        var web = state.Stacks[0].Services.Single(service => service.Name == "web");
        Assert.Equal(["base.yaml", "prod.yaml"], state.Stacks[0].SourceFiles.ToArray());
        Assert.Equal("app:2", web.Container.Image);
        Assert.Equal(["serve"], web.Container.Command!.Value.ToArray());
        Assert.Equal(new Dictionary<string, string> { ["A"] = "base", ["B"] = "prod", ["C"] = "prod" }, web.Container.Environment);
        Assert.Equal([80, 443], web.Container.Ports.Select(port => port.Target));
        Assert.Equal("/repo/b", Assert.Single(web.Container.Mounts).Source);
        Assert.Equal(2, web.Replicas);
        Assert.Equal(2, state.Stacks[0].Services.Length);
    }

    [Fact]
    public void LoadHost_ReportsEveryErrorAcrossFilesAtOnce()
    {
        var repository = new SpecTestRepository()
            .With("berth.yaml", "hosts: { h: {} }\nstacks:\n  a: { compose: a.yaml, hosts: [h] }\n  b: { compose: b.yaml, hosts: [h] }\n  c: { compose: missing.yaml, hosts: [h] }\n")
            .With("a.yaml", "services:\n  web: { image: busybox, helthcheck: {} }\n")
            .With("b.yaml", "services:\n  web: { image: busybox, ports: [\"x\"] }\n");

        var errors = repository.LoadHost("h").Errors.Select(error => error.ToString());

        Assert.Equal(
            [
                "a.yaml:2:26: unknown key 'helthcheck' in services.web, did you mean 'healthcheck'?",
                "b.yaml:2:34: services.web.ports: invalid port 'x': target port must be a port (1-65535) or a range like 8000-8005",
                "berth.yaml:5:17: stacks.c.compose: Compose file 'missing.yaml' does not exist",
            ],
            errors);
    }
}
