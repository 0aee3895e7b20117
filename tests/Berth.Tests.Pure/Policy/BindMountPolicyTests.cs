using Berth.Reconciler.Policy;
using Berth.Reconciler.Spec;
using Berth.Tests.Spec;

namespace Berth.Tests.Policy;

/// <summary>
/// Bind mounts against `policy.bindMounts`, with the tricks that would lead a bind out of an allowed
/// directory: `..`, trailing slashes, links inside the allowed directory pointing out, links outside
/// pointing in, the Docker socket and `/`. The links are real, in a scratch directory of the host.
/// </summary>
public sealed class BindMountPolicyTests : IDisposable
{
    private readonly string root;
    private readonly string allowed;
    private readonly string outside;

    public BindMountPolicyTests()
    {
        root = Directory.CreateTempSubdirectory("berth-bind-policy-").FullName;
        allowed = Directory.CreateDirectory(Path.Combine(root, "allowed")).FullName;
        outside = Directory.CreateDirectory(Path.Combine(root, "outside")).FullName;
        Directory.CreateDirectory(Path.Combine(allowed, "data"));
    }

    public void Dispose() => Directory.Delete(root, recursive: true);

    private HostPolicy Policy => HostPolicy.Restrictive with { BindMounts = [allowed] };

    /// <summary>Errors of a service `web` with these `volumes:` items (each on its own line, from line 6).</summary>
    private string[] Errors(HostPolicy? policy, params string[] volumes) =>
        SpecTestRepository.Errors(
            "name: app\nservices:\n  web:\n    image: busybox\n    volumes:\n" + string.Concat(volumes.Select(volume => $"      - {volume}\n")),
            new SpecLoadOptions { Policy = policy ?? Policy });

    [Fact]
    public void AllowedDirectory_ItselfAndBelow_Allowed()
    {
        Assert.Empty(Errors(null, $"\"{allowed}:/a:ro\"", $"\"{allowed}/data:/d:ro\"", $"\"{allowed}/not-yet-created/x:/x\""));
    }

    [Fact]
    public void TrailingSlashesAndDots_Normalised_Allowed()
    {
        Assert.Empty(Errors(HostPolicy.Restrictive with { BindMounts = [allowed + "/"] }, $"\"{allowed}/:/a:ro\"", $"\"{allowed}//data/./:/d\""));
    }

    [Fact]
    public void OutsideTheAllowedDirectory_Denied_AtTheItem()
    {
        var error = Assert.Single(Errors(null, "\"/etc:/host-etc:ro\""));
        Assert.Equal("6:9: services.web.volumes: the bind mount of '/etc' is outside the host paths this host allows; refused by this host's policy (add /etc or a directory above it in policy.bindMounts to allow it)", error);
    }

    [Fact]
    public void ASiblingWithTheAllowedNameAsPrefix_Denied()
    {
        Directory.CreateDirectory(allowed + "-evil");
        Assert.Single(Errors(null, $"\"{allowed}-evil:/a\""));
    }

    [Fact]
    public void DotDotOutOfTheAllowedDirectory_Denied()
    {
        var error = Assert.Single(Errors(null, $"\"{allowed}/../outside:/o\""));
        Assert.Contains($"'{outside}'", error, StringComparison.Ordinal);
    }

    [Fact]
    public void LinkInsideTheAllowedDirectory_PointingOutside_Denied()
    {
        Directory.CreateSymbolicLink(Path.Combine(allowed, "escape"), "/etc");
        Directory.CreateSymbolicLink(Path.Combine(allowed, "relative-escape"), "../outside");

        var errors = Errors(null, $"\"{allowed}/escape:/e\"", $"\"{allowed}/escape/:/e2\"", $"\"{allowed}/relative-escape/sub:/r\"");

        Assert.Equal(3, errors.Length);
        Assert.Contains($"the bind mount of '{allowed}/escape', which leads to /etc, is outside", errors[0], StringComparison.Ordinal);
        Assert.StartsWith("7:9: ", errors[1], StringComparison.Ordinal);
        Assert.Contains($"which leads to {outside}/sub, is outside", errors[2], StringComparison.Ordinal);
    }

    [Fact]
    public void LinkThenDotDot_ResolvedAsTheKernelDoes_Denied()
    {
        // allowed/deep -> outside/a/b: "allowed/deep/.." is outside/a for the kernel, not "allowed".
        Directory.CreateDirectory(Path.Combine(outside, "a", "b"));
        Directory.CreateSymbolicLink(Path.Combine(allowed, "deep"), Path.Combine(outside, "a", "b"));

        var loaded = new SpecTestRepository()
            .With("compose.yaml", $"name: app\nservices:\n  web:\n    image: busybox\n    volumes:\n      - type: bind\n        source: {allowed}/deep/b-sibling\n        target: /x\n")
            .LoadHost(options: new SpecLoadOptions { Policy = Policy });

        Assert.Contains($"which leads to {outside}/a/b/b-sibling", Assert.Single(loaded.Errors).Message, StringComparison.Ordinal);
        Assert.Equal("/outside/a", HostPaths.Resolve($"{allowed}/deep/..")![root.Length..]);
    }

    [Fact]
    public void LinkOutsidePointingIntoTheAllowedDirectory_Allowed()
    {
        var link = Path.Combine(outside, "into-allowed");
        Directory.CreateSymbolicLink(link, Path.Combine(allowed, "data"));

        Assert.Empty(Errors(null, $"\"{link}:/d\"", $"\"{link}/:/d2\""));
    }

    [Fact]
    public void AllowedDirectoryItselfALink_MatchedByWhereItLeads()
    {
        var alias = Path.Combine(root, "alias");
        Directory.CreateSymbolicLink(alias, allowed);

        Assert.Empty(Errors(HostPolicy.Restrictive with { BindMounts = [alias] }, $"\"{allowed}/data:/d\""));
    }

    [Fact]
    public void LinkLoop_Denied()
    {
        File.CreateSymbolicLink(Path.Combine(allowed, "loop-a"), Path.Combine(allowed, "loop-b"));
        File.CreateSymbolicLink(Path.Combine(allowed, "loop-b"), Path.Combine(allowed, "loop-a"));

        Assert.Contains("cannot be followed on this host (a loop of symbolic links", Assert.Single(Errors(null, $"\"{allowed}/loop-a:/l\"")), StringComparison.Ordinal);
    }

    [Fact]
    public void LongSyntax_JudgedAsTheShort()
    {
        var errors = SpecTestRepository.Errors(
            $"name: app\nservices:\n  web:\n    image: busybox\n    volumes:\n      - type: bind\n        source: {allowed}/data\n        target: /d\n      - type: bind\n        source: /var/lib\n        target: /v\n",
            new SpecLoadOptions { Policy = Policy });

        Assert.StartsWith("9:9: services.web.volumes: the bind mount of '/var/lib' is outside", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void Root_DeniedUnlessListedExactly_AndNeverAllowedAsAPrefix()
    {
        var error = Assert.Single(Errors(null, "\"/:/host\""));
        Assert.Contains("hands out the whole host file system", error, StringComparison.Ordinal);
        Assert.Contains("list exactly / in policy.bindMounts", error, StringComparison.Ordinal);

        var rootListed = HostPolicy.Restrictive with { BindMounts = ["/"] };
        Assert.Empty(Errors(rootListed, "\"/:/host:ro\""));
        Assert.Single(Errors(rootListed, "\"/etc:/etc-host\""));
    }

    [Theory]
    [InlineData("/var/run/docker.sock")]
    [InlineData("/run/docker.sock")]
    public void DockerSocket_DeniedEvenBelowAListedDirectory_AllowedWhenListedExactly(string socket)
    {
        var parentListed = HostPolicy.Restrictive with { BindMounts = ["/run", "/var/run"] };
        var error = Assert.Single(Errors(parentListed, $"\"{socket}:/var/run/docker.sock\""));
        Assert.Contains("hands out the Docker engine (and so the host)", error, StringComparison.Ordinal);
        Assert.Contains("list exactly", error, StringComparison.Ordinal);

        // Either spelling allows both: /var/run is a link to /run on every current distribution.
        Assert.Empty(Errors(HostPolicy.Restrictive with { BindMounts = ["/var/run/docker.sock"] }, $"\"{socket}:/var/run/docker.sock\""));
        Assert.Empty(Errors(HostPolicy.Restrictive with { BindMounts = ["/run/docker.sock"] }, $"\"{socket}:/var/run/docker.sock\""));
    }

    [Fact]
    public void ALinkToTheDockerSocket_Denied()
    {
        var link = Path.Combine(allowed, "engine.sock");
        File.CreateSymbolicLink(link, "/var/run/docker.sock");

        Assert.Contains("which leads to /run/docker.sock", Assert.Single(Errors(null, $"\"{link}:/engine.sock\"")), StringComparison.Ordinal);
    }

    [Fact]
    public void RelativeBindIntoTheRepository_Allowed_OutOfIt_Denied()
    {
        // SpecTestRepository lives at /repo: relative sources resolve against it, as against the live directory.
        Assert.Empty(Errors(HostPolicy.Restrictive, "./conf:/etc/app:ro", "./data/sub:/data"));
        Assert.Contains("the bind mount of '/etc'", Assert.Single(Errors(HostPolicy.Restrictive, "../etc:/host-etc")), StringComparison.Ordinal);
    }

    [Fact]
    public void LinkInTheRepositoryDirectory_PointingOut_Denied()
    {
        var repository = Directory.CreateDirectory(Path.Combine(root, "repo")).FullName;
        File.WriteAllText(Path.Combine(repository, "compose.yaml"), "name: app\nservices:\n  web:\n    image: busybox\n    volumes: [\"./conf:/c\", \"./host:/h\"]\n");
        Directory.CreateDirectory(Path.Combine(repository, "conf"));
        Directory.CreateSymbolicLink(Path.Combine(repository, "host"), "/etc");

        var loaded = SpecLoader.LoadHost(repository, "h", new SpecLoadOptions { Policy = HostPolicy.Restrictive });

        var error = Assert.Single(loaded.Errors);
        Assert.Equal(("compose.yaml", 5, 28), (error.File, error.Line, error.Column));
        Assert.Contains("which leads to /etc", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void BindVolume_ByDriverOptions_JudgedAsABindMount()
    {
        var errors = SpecTestRepository.Errors(
            "name: app\nservices:\n  web:\n    image: busybox\n    volumes: [\"host-etc:/x\", \"data:/d\"]\nvolumes:\n  host-etc:\n    driver_opts: { type: none, o: bind, device: /etc }\n" +
            $"  data:\n    driver_opts: {{ type: none, o: bind, device: {allowed}/data }}\n",
            new SpecLoadOptions { Policy = Policy });

        Assert.StartsWith("7:3: volumes.host-etc.driver_opts.device: the bind volume of '/etc' is outside", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void NoBindMountsListed_AnyHostPathDenied()
    {
        Assert.Single(Errors(HostPolicy.Restrictive, $"\"{allowed}:/a\""));
    }

    [Theory]
    [InlineData("/run", "/run/docker.sock")]
    [InlineData("/var/run", "/run/docker.sock")]
    [InlineData("/var/lib", "/var/lib/docker")]
    [InlineData("/var", "/var/lib/docker")]
    public void ADirectoryAboveTheEngine_DeniedEvenWhenListed_AllowedWithTheEnginePathsListedToo(string source, string handedOut)
    {
        // The policy lists /run and /var for /run/app and /var/app; a bind of the directory itself hands out the engine.
        var listed = HostPolicy.Restrictive with { BindMounts = ["/var", "/run", "/var/lib"] };
        var error = Assert.Single(Errors(listed, $"\"{source}:/host\""));
        Assert.Contains("hands out the Docker engine (and so the host), through ", error, StringComparison.Ordinal);
        Assert.Contains(handedOut, error, StringComparison.Ordinal);
        Assert.Contains("list exactly ", error, StringComparison.Ordinal);

        var resolved = HostPaths.Resolve(source)!;
        var knowingly = HostPolicy.Restrictive with { BindMounts = [resolved, "/run/docker.sock", "/run/containerd", "/var/lib/docker", "/var/lib/containerd"] };
        Assert.Empty(Errors(knowingly, $"\"{source}:/host\""));
    }

    [Theory]
    [InlineData("/var/lib/docker")]
    [InlineData("/var/lib/containerd")]
    [InlineData("/run/containerd")]
    public void TheEnginesDataAndContainerdsSocket_ExactOnly(string source)
    {
        var error = Assert.Single(Errors(HostPolicy.Restrictive with { BindMounts = ["/var/lib", "/run"] }, $"\"{source}:/host\""));
        Assert.Contains($"list exactly {source} in policy.bindMounts", error, StringComparison.Ordinal);
        Assert.Empty(Errors(HostPolicy.Restrictive with { BindMounts = [source] }, $"\"{source}:/host\""));
    }

    [Fact]
    public void ADirectoryBesideTheEngine_StillAllowedBelowAListedParent()
    {
        Assert.Empty(Errors(HostPolicy.Restrictive with { BindMounts = ["/var/lib"] }, "\"/var/lib/app-data:/data\""));
    }

    [Fact]
    public void BindBelowAWritableBind_InTheRepository_Denied()
    {
        // The reviewer's example: the container replaces /data/x by a link to / and exits; on restart the
        // engine mounts ./data/x again, following the link: the host's root at /host.
        var error = Assert.Single(Errors(HostPolicy.Restrictive, "./data:/data", "./data/x:/host"));
        Assert.StartsWith("7:9: services.web.volumes: the bind mount of '/repo/data/x' lies below /repo/data, which services.web mounts writable", error, StringComparison.Ordinal);
        Assert.Contains("policy.nestedBindMounts: true would allow it", error, StringComparison.Ordinal);

        Assert.Empty(Errors(HostPolicy.Restrictive with { NestedBindMounts = true }, "./data:/data", "./data/x:/host"));
    }

    [Fact]
    public void BindBelowAWritableBindOfAnotherService_InAnAllowedDirectory_Denied()
    {
        var errors = SpecTestRepository.Errors(
            $"name: app\nservices:\n  writer:\n    image: busybox\n    volumes: [\"{allowed}:/all\"]\n  reader:\n    image: busybox\n    volumes: [\"{allowed}/data:/d:ro\"]\n",
            new SpecLoadOptions { Policy = Policy });

        Assert.Contains($"lies below {allowed}, which services.writer mounts writable", Assert.Single(errors), StringComparison.Ordinal);
    }

    [Fact]
    public void BindBelowAReadOnlyBind_OrTheSameDirectoryTwice_Allowed()
    {
        Assert.Empty(Errors(HostPolicy.Restrictive, "./data:/data:ro", "./data/x:/x"));
        Assert.Empty(Errors(HostPolicy.Restrictive, "./data:/data", "./data/:/again"));
    }

    [Fact]
    public void BindThroughALinkBelowAWritableBind_Denied()
    {
        // Resolved now, the link leads beside the writable bind; but the container can re-point it.
        Directory.CreateSymbolicLink(Path.Combine(allowed, "data", "link"), outside);
        var policy = HostPolicy.Restrictive with { BindMounts = [allowed, outside] };

        var error = Assert.Single(Errors(policy, $"\"{allowed}/data:/data\"", $"\"{allowed}/data/link:/other\""));
        Assert.Contains($"lies below {allowed}/data", error, StringComparison.Ordinal);
    }
}
