using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

public sealed class StackBuilderTests
{
    [Fact]
    public void Build_ServicesNetworksVolumes_AreSortedByName()
    {
        var stack = LoadStack("""
            services:
              zeta: { image: busybox, networks: [b, a] }
              alpha: { image: busybox, volumes: [y:/y, x:/x] }
            networks: { b: {}, a: {} }
            volumes: { y: {}, x: {} }
            """);

        Assert.Equal(["alpha", "zeta"], stack.Services.Select(service => service.Name));
        Assert.Equal(["a", "b", "default"], stack.Networks.Select(network => network.Key));
        Assert.Equal(["x", "y"], stack.Volumes.Select(volume => volume.Key));
        Assert.Equal(["/x", "/y"], stack.Services[0].Container.Mounts.Select(mount => mount.Target));
    }

    [Fact]
    public void DefaultNetwork_UsedOnlyWhenAServiceListsNone_IsCreatedWithComposeName()
    {
        var withDefault = LoadStack("services:\n  web: { image: busybox }\n");
        var withoutDefault = LoadStack("services:\n  web: { image: busybox, networks: [front] }\nnetworks:\n  front: { internal: true, driver: bridge, labels: [team=web] }\n");

        var network = Assert.Single(withDefault.Networks);
        Assert.Equal(("default", "app_default", false, "bridge"), (network.Key, network.EngineName, network.External, network.Driver));
        var front = Assert.Single(withoutDefault.Networks);
        Assert.True(front.Internal);
        Assert.Equal("web", front.Labels["team"]);
    }

    [Fact]
    public void DefaultNetwork_DefinedAsExternal_IsUsedByName()
    {
        var stack = LoadStack("services:\n  web: { image: busybox }\nnetworks:\n  default: { external: true, name: proxy }\n");

        Assert.Equal("proxy", stack.Services[0].Container.Networks[0].EngineName);
    }

    // Compose still reads the file-format 3.x form `external: { name: x }` as `external: true, name: x`.
    [Fact]
    public void Network_LegacyExternalName_IsExternalWithThatName()
    {
        var stack = LoadStack("services:\n  web: { image: busybox, networks: [web] }\nnetworks:\n  web:\n    external:\n      name: traefik_webgateway\n");

        var network = Assert.Single(stack.Networks);
        Assert.Equal(("traefik_webgateway", true), (network.EngineName, network.External));
    }

    [Theory]
    [InlineData("services:\n  web: { image: busybox, networks: [web] }\nnetworks:\n  web:\n    external: { name: a }\n    name: b\n",
        "5:23: networks.web.external.name ('a') and networks.web.name ('b') differ; keep only name: with external: true")]
    [InlineData("services:\n  web: { image: busybox, networks: [web] }\nnetworks:\n  web:\n    external: { name: a, driver: x }\n",
        "5:26: unknown key 'driver' in networks.web.external")]
    [InlineData("services:\n  web: { image: busybox, networks: [web] }\nnetworks:\n  web:\n    external: [true]\n",
        "5:15: networks.web.external must be true or false, not a list")]
    public void Network_ExternalMistakes_AreErrorsAtTheirPlace(string yaml, string expected)
    {
        Assert.Equal([expected], Errors(yaml));
    }

    [Theory]
    [InlineData("services:\n  web:\n    image: busybox\n    networks: [fronts]\nnetworks:\n  front: {}\n",
        "4:16: service 'web' uses unknown network 'fronts'; define it under the top-level networks:, did you mean 'front'?")]
    [InlineData("services:\n  web:\n    image: busybox\n    volumes: [\"dat:/data\"]\nvolumes:\n  data: {}\n",
        "4:15: service 'web' uses unknown volume 'dat'; define it under the top-level volumes: (or write ./dat for a bind mount), did you mean 'data'?")]
    [InlineData("services:\n  web:\n    image: busybox\n    container_name: web\n    deploy: { replicas: 2 }\n",
        "4:21: service 'web' sets container_name and 2 replicas: container names are unique; remove container_name or use 1 replica")]
    [InlineData("services:\n  web:\n    image: busybox\n    ports: [\"8080:80\"]\n    deploy:\n      update_config:\n        order: start-first\n",
        "7:16: order: start-first with fixed host port 8080 cannot work on one host: the new container cannot bind the port the old one holds; use order: stop-first or an ephemeral port")]
    [InlineData("services:\n  web:\n    image: busybox\n    ports: [\"8080:80\"]\n    deploy: { replicas: 2 }\n",
        "4:13: service 'web' has 2 replicas and publishes host port 8080: only one container can bind it; publish an ephemeral port (\"80\") or use 1 replica")]
    [InlineData("services:\n  web:\n    restart: always\n",
        "2:3: service 'web' has no image: 'image' is required (berth runs images from registries)")]
    [InlineData("services:\n  web:\n    build: .\n",
        "3:5: 'services.web.build' is not supported by berth; images come from registries; build and push elsewhere, then set 'image'")]
    [InlineData("services:\n  web:\n    image: busybox\n    network_mode: host\n    networks: [default]\n",
        "4:19: service 'web' sets both network_mode and networks; use one")]
    [InlineData("services:\n  web:\n    image: busybox\nnetworks:\n  ext: { external: true, driver: overlay }\n",
        "5:3: external network 'ext' is created outside berth: it takes only 'name', not driver, driver_opts, labels, internal, enable_ipv6 or ipam")]
    [InlineData("services:\n  web:\n    image: busybox\n    network_mode: host\n    x-berth: { front: true }\n",
        "5:23: service 'web': x-berth.front needs the service on networks (a front holds its aliases there), not network_mode")]
    [InlineData("services: {}\n",
        "1:1: stack 'repo' has no services")]
    public void Build_InvalidReferences_AreErrorsAtTheirPlace(string yaml, string expected)
    {
        Assert.Equal([expected], Errors(yaml));
    }

    [Fact]
    public void StartFirst_WithEphemeralPort_IsAllowed()
    {
        var service = LoadService("image: busybox\nports: [\"80\"]\ndeploy: { replicas: 2, update_config: { order: start-first } }");

        Assert.Equal(2, service.Replicas);
    }

    [Fact]
    public void Front_IsHashedOnlyWhenSet_SoOtherServicesKeepTheirHashes()
    {
        var plain = LoadService("image: busybox");
        var frontOff = LoadService("image: busybox\nx-berth: { front: false }");
        var fronted = LoadService("image: busybox\nx-berth: { front: true }");

        Assert.True(fronted.Front);
        Assert.Equal(plain.ConfigHash, frontOff.ConfigHash);
        Assert.NotEqual(plain.ConfigHash, fronted.ConfigHash);
        Assert.Equal(["x-berth.front"], Berth.Reconciler.Spec.ConfigHasher.ChangedFields(plain.FieldHashes, fronted.FieldHashes).ToArray());
    }

    [Fact]
    public void Build_ThousandsOfUnknownDependencies_HintOnlyTheFirstOnes()
    {
        // Each hint compared the name with every service: 8,000 services with an unknown depends_on
        // took 29 s. The hints now share a bounded amount of work per load.
        const int count = 8000;
        var yaml = new System.Text.StringBuilder("services:\n");
        for (var index = 0; index < count; index++)
        {
            yaml.Append(System.Globalization.CultureInfo.InvariantCulture, $"  s{index:D4}: {{ image: busybox, depends_on: [t{index:D4}] }}\n");
        }

        var errors = Errors(yaml.ToString());

        Assert.Equal(count, errors.Length);
        Assert.Equal("2:41: service 's0000' depends on unknown service 't0000', did you mean 's0000'?", errors[0]);
        var hinted = errors.Count(error => error.Contains("did you mean", StringComparison.Ordinal));
        Assert.InRange(hinted, 1, 1000);
    }
}
