using Berth.Reconciler.Spec;

namespace Berth.Tests.Spec;

/// <summary>
/// The config hashes of the example repository, pinned. A container is re-created exactly when its
/// config hash changes, so a change to how berth hashes (a renamed model field, another JSON shape,
/// a new default) would silently replace every container of every host on upgrade. If this test
/// fails on purpose, say so in the release notes ("upgrading re-creates all containers") and update
/// the pins.
/// </summary>
public sealed class ConfigHashPinTests
{
    [Fact]
    public void ExampleRepository_ConfigHashes_AreThePinnedOnes()
    {
        var result = SpecLoader.LoadHost(Path.Combine(SpecLoaderTests.RepositoryRoot(), "examples", "repo"), "demo");
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));

        var hashes = result.State!.AllServices.ToDictionary(service => service.QualifiedName, service => service.ConfigHash);

        Assert.Equal(
            new Dictionary<string, string>
            {
                ["shop/db"] = "47f29886ab668246d0dc",
                ["shop/web"] = "797e659700f36ba8fa8d",
                ["shop/worker"] = "72a6e7dc47f330ffa2c2",
            },
            hashes);
    }

    [Fact]
    public void ServiceWithEveryKindOfField_FieldAndConfigHashes_AreThePinnedOnes()
    {
        // The example repository uses few fields: this service sets every kind ContainerSpec has (nested
        // records, nullables, enums, the fields hashed only when set), so a change to how any field is
        // serialised or named fails here. Pinned from berth as of ee2c824 (before ConfigHasher cached its metadata).
        var result = EveryKindOfFieldService.Load();
        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        var service = Assert.Single(result.State!.AllServices);

        var fieldHashes = string.Join("\n", service.FieldHashes.Select(field => $"{field.Key}={field.Value}"));
        Assert.Equal(PinnedFieldHashes, fieldHashes);
        Assert.Equal(PinnedConfigHash, service.ConfigHash);
        Assert.Equal(PinnedFrontConfigHash, (service with { Front = true }).ConfigHash);
    }

    private const string PinnedFieldHashes = """
        cap_add=ce3c89980ec0e46e
        cap_drop=6b92a4aba0d37199
        command=77caf50a05bf9261
        configs=4aa2e3a07927aac3
        container_name=74234e98afe7498f
        cpu_shares=94f8607915dff25f
        deploy.resources.limits=6b8dbfda59797b94
        devices=393983f6e3cfdfae
        dns=fed6626955584d44
        dns_opt=708120fa142f6406
        dns_search=7021aaec3a849faa
        entrypoint=538cf86ad1dd81e9
        environment=c73dd9fca58e98a9
        expose=206446988303cf5e
        extra_hosts=e7df49b898b18714
        group_add=186b3c22277e4d92
        healthcheck=695565151b0a52f3
        hostname=5cf7504d9781301d
        image=44eda55cb4c04b8c
        init=b5bea41b6c623f7c
        labels=e5e392dc40ad14d0
        logging=38f3cb55d0a20ed1
        mem_reservation=b58906a0e0ec65d7
        memswap_limit=efc2a522d1bd2ac5
        network_mode=74234e98afe7498f
        networks=31e7c7a9a6eca4b9
        platform=4c3782f15c42d759
        ports=6f1ba06cb572bbc7
        privileged=b5bea41b6c623f7c
        read_only=b5bea41b6c623f7c
        restart=f53871137ebeb9d5
        runtime=81d31250627af497
        secrets=f26a4f4a5b17e79e
        security_opt=1020b17a73c96bf8
        shm_size=2b3c03c5ccada665
        stdin_open=b5bea41b6c623f7c
        stop_grace_period=a418df1019e9ea23
        stop_signal=b17fa433af3d2b3a
        sysctls=368be336aa39d945
        tmpfs=7e9d221ca15043c3
        tty=b5bea41b6c623f7c
        ulimits=2c07640118e47877
        user=ea33dc847d962e75
        volumes=eef19a3c2fbbe12c
        working_dir=8d9fb2af3d3c049c
        """;
    private const string PinnedConfigHash = "dccf4bad4e6b24f8b5db";
    private const string PinnedFrontConfigHash = "5ecfc55db59db14ba8f0";
}
