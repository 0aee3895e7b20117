using System.Collections.Immutable;
using System.Globalization;
using System.Net;
using Berth.Reconciler.Fronts;
using Berth.Reconciler.Images;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Secrets.Files;
using Berth.Reconciler.Spec.Model;
using Docker.DotNet;
using Docker.DotNet.Models;
using NetworkSpec = Berth.Reconciler.Spec.Model.NetworkSpec;
using ServiceSpec = Berth.Reconciler.Spec.Model.ServiceSpec;

namespace Berth.Reconciler.Engine;

/// <summary><see cref="IContainerEngine"/> over Docker.DotNet.Enhanced.</summary>
/// <remarks>
/// Every public call translates the client's failures into <see cref="EngineException"/>
/// (<see cref="EngineErrors.Translate"/>): nothing outside Engine/ sees a Docker.DotNet type.
/// </remarks>
public sealed class DockerContainerEngine : IContainerEngine, IDisposable
{
    private readonly IDockerClient client;
    private readonly bool ownsClient;

    /// <summary>An engine over a client the caller owns (and disposes).</summary>
    public DockerContainerEngine(IDockerClient client)
        : this(client, ownsClient: false)
    {
    }

    private DockerContainerEngine(IDockerClient client, bool ownsClient)
    {
        this.client = client;
        this.ownsClient = ownsClient;
    }

    /// <summary>An engine with its own client (disposed with it); see <see cref="DockerClientFactory"/>.</summary>
    /// <param name="endpoint">Explicit endpoint, else $DOCKER_HOST, else the local socket.</param>
    /// <param name="requestTimeout">Per request; a request that takes longer fails as <see cref="EngineFailureKind.Transient"/>.</param>
    /// <param name="mountedFilesDirectory">Where secrets and configs are written (<see cref="MountedFileStore"/>); null: none.</param>
    /// <param name="credentials">Registry credentials for pulls (<see cref="Credentials"/>); null: anonymous.</param>
    /// <param name="readOnly">
    /// For `berth plan`: the engine has no secrets-and-configs store, so it neither makes that directory nor
    /// prunes it. A plan runs without the state directory's lock, beside a daemon or an `apply` that may have
    /// written a new generation's files and not yet created its container; a prune from the plan's process
    /// would remove them (<see cref="mountedFilesLock"/> holds only within one process).
    /// </param>
    public static DockerContainerEngine Connect(string? endpoint, TimeSpan requestTimeout, string? mountedFilesDirectory = null, Images.IRegistryCredentials? credentials = null, bool readOnly = false)
    {
        string? problem = null;
        var store = mountedFilesDirectory is null || readOnly ? null : MountedFileStore.TryOpen(mountedFilesDirectory, out problem);
        return new(DockerClientFactory.Create(endpoint, requestTimeout), ownsClient: true)
        {
            MountedFiles = store,
            MountedFilesProblem = problem,
            Credentials = credentials ?? Images.NoRegistryCredentials.Instance,
        };
    }

    /// <summary>
    /// Where the contents of Compose secrets and configs are written for the containers that bind them
    /// (a tmpfs). Null: a service with secrets or configs cannot be created (the create is refused, saying so).
    /// </summary>
    public MountedFileStore? MountedFiles { get; init; }

    /// <summary>Why <see cref="MountedFiles"/> is null (e.g. its directory is not on a tmpfs): said when a create needs it.</summary>
    public string? MountedFilesProblem { get; init; }

    // Held from writing a service's files until its container exists, and from listing the containers
    // until their unused files are removed: a prune must never remove the files of a container that is
    // about to be created.
    private readonly SemaphoreSlim mountedFilesLock = new(1, 1);

    public void Dispose()
    {
        if (Interlocked.Exchange(ref disposed, 1) == 1)
        {
            return;
        }

        try
        {
            lifetime.Cancel();
        }
        finally
        {
            lifetime.Dispose();
            if (ownsClient)
            {
                client.Dispose();
            }
        }
    }

    public Task<ObservedState> ObserveAsync(string hostIdentity, IEnumerable<string> imageReferences, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(async () =>
        {
            var listed = await TakeOrListAsync(hostIdentity, cancellationToken).ConfigureAwait(false);

            // Files of generations left behind (a create that failed, a crash between create and remove). Here,
            // when the pass takes its observation, never in lists begun early: those only read, so nothing they
            // do can outlast the command's hold on the state directory. Never for a plan: its engine has no store.
            await PruneMountedFilesAsync(cancellationToken).ConfigureAwait(false);

            return ResolveImages(listed, imageReferences);
        }, cancellationToken);

    // The lists of the host that BeginObserving started, for the next ObserveAsync of that host to take.
    private EarlyLists? early;
    private readonly CancellationTokenSource lifetime = new();
    private int disposed;

    /// <summary>
    /// Starts the lists an observation of <paramref name="hostIdentity"/> makes (containers, networks,
    /// volumes, images) now, while the caller loads the desired state from a directory: the next
    /// <see cref="ObserveAsync"/> of that host takes their answers instead of asking again (issue #16: `berth
    /// apply` and `plan` spent a quarter of a no-op waiting for the engine after the load, on a machine with a
    /// core to spare). Still one observation per pass, taken once, as old as the load is long (a git fetch
    /// takes seconds: the commands do not begin early for one). The lists only read; a failure surfaces in
    /// that ObserveAsync, as its own would; <see cref="Dispose"/> cancels lists still running.
    /// </summary>
    public void BeginObserving(string hostIdentity)
    {
        var token = lifetime.Token;
        early = new EarlyLists(hostIdentity, EarlyStart.Run(() => ListAsync(hostIdentity, token)));
    }

    private sealed record EarlyLists(string Host, Task<ObservedState> Listed);

    private Task<ObservedState> TakeOrListAsync(string hostIdentity, CancellationToken cancellationToken)
    {
        if (Interlocked.Exchange(ref early, null) is { } started && started.Host == hostIdentity)
        {
            return started.Listed.WaitAsync(cancellationToken);
        }

        return ListAsync(hostIdentity, cancellationToken);
    }

    /// <summary>Lists only the service's containers (a label filter in the engine), inspecting only its front: no networks, volumes or images.</summary>
    public Task<ObservedState> ObserveServiceAsync(string hostIdentity, string stack, string service, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(async () =>
        {
            var filter = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool>
                {
                    [$"{BerthLabels.ManagedBy}={BerthLabels.ManagedByValue}"] = true,
                    [$"{BerthLabels.Host}={hostIdentity}"] = true,
                    [$"{BerthLabels.Stack}={stack}"] = true,
                    [$"{BerthLabels.Service}={service}"] = true,
                },
            };
            var listed = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, cancellationToken).ConfigureAwait(false);
            var (containers, fronts, _) = await ObserveContainersAsync(listed, hostIdentity, cancellationToken).ConfigureAwait(false);
            return ObservedState.Empty with
            {
                Containers = [.. containers.OrderBy(container => container.Name, StringComparer.Ordinal)],
                Fronts = [.. fronts.OrderBy(front => front.Name, StringComparer.Ordinal)],
            };
        }, cancellationToken);

    /// <summary>Berth's containers and fronts of a listing; the names of the others.</summary>
    /// <remarks>
    /// A replica is observed from the list alone: its labels (identity, config hash, revision), state,
    /// health and exit code (in the status text, <see cref="ContainerListing"/>), image id, mounts and
    /// addresses are all in it, and the list is served without the per-container lock an inspect
    /// waits for (under health-check load 50 inspects took 38 s, the list 0.6 s). So an observation
    /// costs the same few requests for 3 services or 300 (issue #16). Whatever needs more (restart
    /// count, health log, aliases) is inspected by the step that acts on the container, only then.
    /// A front is still inspected: its routing needs its process id and its aliases, which the list
    /// does not carry; there is at most one per service with x-berth.front.
    /// </remarks>
    private async Task<(ImmutableArray<ObservedContainer> Containers, ImmutableArray<ObservedFront> Fronts, ImmutableHashSet<string> ForeignNames)> ObserveContainersAsync(
        IList<ContainerListResponse> listed, string hostIdentity, CancellationToken cancellationToken)
    {
        var containers = ImmutableArray.CreateBuilder<ObservedContainer>();
        var fronts = ImmutableArray.CreateBuilder<ObservedFront>();
        var foreignContainers = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var listedContainer in listed)
        {
            var name = listedContainer.Names?.FirstOrDefault()?.TrimStart('/') ?? listedContainer.ID;
            if (!BerthLabels.IsOwnedBy(listedContainer.Labels, hostIdentity))
            {
                foreignContainers.Add(name);
                continue;
            }

            var labels = listedContainer.Labels!;
            if (Label(labels, BerthLabels.Role) == BerthLabels.FrontRole)
            {
                ContainerSnapshot snapshot;
                try
                {
                    snapshot = await InspectContainerAsync(listedContainer.ID, cancellationToken).ConfigureAwait(false);
                }
                catch (EngineNotFoundException)
                {
                    continue; // removed between list and inspect: it is simply not there
                }

                var service = Label(labels, BerthLabels.Service) ?? string.Empty;
                fronts.Add(new ObservedFront(
                    listedContainer.ID, name, Label(labels, BerthLabels.Stack) ?? string.Empty, service,
                    Label(labels, BerthLabels.ConfigHash) ?? string.Empty, snapshot.State, snapshot.Pid,
                    snapshot.Networks, snapshot.Networks.All(network => snapshot.Aliases.TryGetValue(network, out var aliases) && aliases.Contains(service))));
                continue;
            }

            var state = ParseRunState(listedContainer.State);
            var networks = listedContainer.NetworkSettings?.Networks ?? new Dictionary<string, EndpointSettings>();
            containers.Add(new ObservedContainer(
                listedContainer.ID,
                name,
                Label(labels, BerthLabels.Stack) ?? string.Empty,
                Label(labels, BerthLabels.Service) ?? string.Empty,
                int.TryParse(Label(labels, BerthLabels.Replica), NumberStyles.None, CultureInfo.InvariantCulture, out var replica) ? replica : 0,
                Label(labels, BerthLabels.ConfigHash) ?? string.Empty,
                Label(labels, BerthLabels.Revision),
                listedContainer.ImageID ?? string.Empty,
                state,
                ContainerListing.Health(listedContainer.Status),
                state is ContainerRunState.Exited or ContainerRunState.Dead ? ContainerListing.ExitCode(listedContainer.Status) : null,
                Label(labels, BerthLabels.ReplacementOf))
            {
                // As an inspect reports them: a stopped container's endpoints have no address.
                Addresses = networks.Where(network => !string.IsNullOrEmpty(network.Value?.IPAddress))
                    .ToImmutableSortedDictionary(network => network.Key, network => network.Value.IPAddress, StringComparer.Ordinal),
                AnonymousVolumePaths = AnonymousVolumePaths(listedContainer.Mounts),
                Networks = networks.Keys.ToImmutableSortedSet(StringComparer.Ordinal),
            });
        }
        return (containers.ToImmutable(), fronts.ToImmutable(), foreignContainers.ToImmutable());
    }

    private static ImmutableArray<string> AnonymousVolumePaths(IEnumerable<MountPoint>? mounts) =>
        [.. (mounts ?? [])
            .Where(mount => mount.Type == "volume" && IsEngineGeneratedName(mount.Name))
            .Select(mount => mount.Destination)
            .Order(StringComparer.Ordinal)];

    /// <summary>What runs on the host, from one list of each kind: every part of an observation but the desired images' ids.</summary>
    private async Task<ObservedState> ListAsync(string hostIdentity, CancellationToken cancellationToken)
    {
        // The four lists go out together, each on its own connection: one round trip to a busy engine instead
        // of four in a row (issue #16: under the stack's own health checks each list waited 5-60 ms for dockerd,
        // and a no-op plan waited for the four one after another). Still one list of each kind per observation.
        // All containers, not only ours: foreign names are kept so that a name berth wants but does not
        // own is reported as a collision rather than touched.
        var containerList = client.Containers.ListContainersAsync(new ContainersListParameters { All = true }, cancellationToken);
        var networkList = client.Networks.ListNetworksAsync(new NetworksListParameters(), cancellationToken);
        var volumeListed = client.Volumes.ListAsync(new VolumesListParameters(), cancellationToken);
        var imageList = client.Images.ListImagesAsync(new ImagesListParameters { All = false }, cancellationToken);
        // Awaiting them together observes every failure. The caller's cancellation wins, as when the lists ran in a
        // row (WhenAll would put a list's fault, e.g. the broken connection a cancel leaves, before it); otherwise
        // the first failure in list order surfaces.
        try
        {
            await Task.WhenAll(containerList, networkList, volumeListed, imageList).ConfigureAwait(false);
        }
        catch (Exception) when (cancellationToken.IsCancellationRequested)
        {
            throw new OperationCanceledException(cancellationToken);
        }

        var listed = await containerList.ConfigureAwait(false);
        var (containers, fronts, foreignContainers) = await ObserveContainersAsync(listed, hostIdentity, cancellationToken).ConfigureAwait(false);

        var networks = ImmutableArray.CreateBuilder<ObservedNetwork>();
        var foreignNetworks = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        foreach (var network in await networkList.ConfigureAwait(false))
        {
            // berth labels every network and volume it creates with its stack: one with the owner labels
            // but no stack was not made by berth (by hand, another tool, forged) and is left alone.
            if (BerthLabels.IsOwnedBy(network.Labels, hostIdentity) && Label(network.Labels, BerthLabels.Stack) is { } networkStack)
            {
                networks.Add(new ObservedNetwork(
                    network.ID,
                    network.Name,
                    networkStack,
                    Label(network.Labels, BerthLabels.ResourceKey) ?? network.Name,
                    new ObservedNetworkSettings(network.Driver ?? string.Empty, Sorted(network.Options), BerthLabels.UserLabels(network.Labels), network.Internal)
                    {
                        EnableIpv6 = network.EnableIPv6,
                        Ipam = ObservedIpam(network.IPAM),
                    }));
            }
            else
            {
                foreignNetworks.Add(network.Name);
            }
        }

        var volumes = ImmutableArray.CreateBuilder<ObservedVolume>();
        var foreignVolumes = ImmutableHashSet.CreateBuilder<string>(StringComparer.Ordinal);
        var volumeList = await volumeListed.ConfigureAwait(false);
        foreach (var volume in volumeList.Volumes ?? [])
        {
            if (BerthLabels.IsOwnedBy(volume.Labels, hostIdentity) && Label(volume.Labels, BerthLabels.Stack) is { } volumeStack)
            {
                volumes.Add(new ObservedVolume(
                    volume.Name,
                    volumeStack,
                    Label(volume.Labels, BerthLabels.ResourceKey) ?? volume.Name,
                    new ObservedVolumeSettings(volume.Driver ?? string.Empty, Sorted(volume.Options), BerthLabels.UserLabels(volume.Labels))));
            }
            else
            {
                foreignVolumes.Add(volume.Name);
            }
        }

        // One image list resolves every desired reference (tag or digest) and gives the running images'
        // digests: a constant cost however many services and images there are (issue #16).
        var images = (await imageList.ConfigureAwait(false))
            .Select(image => new ObservedImage(
                image.ID,
                [.. (image.RepoTags ?? []).Where(tag => tag != "<none>:<none>").Order(StringComparer.Ordinal)],
                [.. (image.RepoDigests ?? []).Where(digest => digest != "<none>@<none>").Order(StringComparer.Ordinal)]))
            .OrderBy(image => image.Id, StringComparer.Ordinal)
            .ToImmutableArray();

        return new ObservedState(
            [.. containers.OrderBy(container => container.Name, StringComparer.Ordinal)],
            [.. networks.OrderBy(network => network.Name, StringComparer.Ordinal)],
            [.. volumes.OrderBy(volume => volume.Name, StringComparer.Ordinal)],
            foreignContainers,
            foreignNetworks.ToImmutable(),
            foreignVolumes.ToImmutable(),
            ImmutableDictionary<string, string>.Empty)
        {
            Fronts = [.. fronts.OrderBy(front => front.Name, StringComparer.Ordinal)],
            Images = images,
            ImagesInUse = [.. listed.Select(container => container.ImageID).Where(id => !string.IsNullOrEmpty(id))],
        };
    }

    /// <summary>The local image of each desired reference (tag or digest), from the one image list: a constant cost however many images (issue #16).</summary>
    private static ObservedState ResolveImages(ObservedState listed, IEnumerable<string> imageReferences)
    {
        var imageIds = ImmutableDictionary.CreateBuilder<string, string>(StringComparer.Ordinal);
        var repoDigests = ImmutableDictionary.CreateBuilder<string, ImmutableArray<string>>(StringComparer.Ordinal);
        foreach (var reference in imageReferences.Distinct(StringComparer.Ordinal))
        {
            // Absent locally: the planner pulls it (or reports it) per pull_policy.
            if (ImageReference.Resolve(reference, listed.Images) is { } imageId)
            {
                imageIds[reference] = imageId;

                // The digests it was pulled or pushed as: what a registry check compares with.
                repoDigests[reference] = listed.Images.First(image => image.Id == imageId).RepoDigests;
            }
        }

        return listed with { ImageIds = imageIds.ToImmutable(), ImageRepoDigests = repoDigests.ToImmutable() };
    }

    public Task PullImageAsync(string imageReference, CancellationToken cancellationToken) =>
        PullImageAsync(imageReference, null, cancellationToken);

    /// <summary>
    /// Where pulls get their registry credentials (sent as X-Registry-Auth), asked on every pull so that a
    /// rotated token is used at once. Default: none (anonymous pulls).
    /// </summary>
    public Images.IRegistryCredentials Credentials { get; init; } = Images.NoRegistryCredentials.Instance;

    public Task PullImageAsync(string imageReference, string? platform, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => PullImageCoreAsync(imageReference, platform, null, cancellationToken), cancellationToken);

    public Task PullImageAsync(string imageReference, string? platform, IProgress<Images.PullMessage> progress, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => PullImageCoreAsync(imageReference, platform, progress, cancellationToken), cancellationToken);

    /// <summary>
    /// The platform (`os/arch[/variant]`) of a local image, or null when it is not here. One image inspect:
    /// asked only for the images of services that set `platform` (the image list does not carry it).
    /// </summary>
    public Task<string?> ImagePlatformAsync(string imageReference, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(async () =>
        {
            try
            {
                var image = await client.Images.InspectImageAsync(imageReference, cancellationToken).ConfigureAwait(false);
                return string.IsNullOrEmpty(image.Os) || string.IsNullOrEmpty(image.Architecture) ? null : PlatformName.Of(image.Os, image.Architecture, image.Variant);
            }
            catch (DockerImageNotFoundException)
            {
                return null;
            }
            catch (DockerApiException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
            {
                return null;
            }
        }, cancellationToken);

    private async Task PullImageCoreAsync(string imageReference, string? platform, IProgress<Images.PullMessage>? progress, CancellationToken cancellationToken)
    {
        var parsed = Images.RegistryReference.Parse(imageReference);
        // The name as written, and a digest in the `tag` parameter (the engine takes either there); with a
        // digest the tag is dropped, as the engine itself resolves `repo:tag@digest` by the digest alone.
        var (repository, tag) = (parsed.Name, parsed.Digest ?? parsed.Tag!);
        var stream = new EngineStreamErrors(progress);
        // Platform null is left off the query: the engine pulls its own platform.
        Images.RegistryCredential? credential;
        try
        {
            credential = await Credentials.ForAsync(parsed, cancellationToken).ConfigureAwait(false);
        }
        catch (Images.RegistryCredentialException exception)
        {
            throw new ImagePullException(imageReference, exception.Message);
        }

        var auth = credential is null ? null : new AuthConfig
        {
            Username = credential.Username,
            Password = credential.Password,
            IdentityToken = credential.IdentityToken,
            ServerAddress = parsed.CredentialKey,
        };
        try
        {
            await client.Images.CreateImageAsync(new ImagesCreateParameters { FromImage = repository, Tag = tag, Platform = platform! }, auth, stream, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerApiException exception) when (exception.StatusCode != HttpStatusCode.NotFound || exception.ResponseBody?.Contains("manifest", StringComparison.OrdinalIgnoreCase) == true)
        {
            // dockerd answers a registry's refusal before the stream starts, as 500 ("unauthorized: authentication
            // required") or 404 ("manifest unknown"): the registry's words decide whether it is worth retrying,
            // not the 500 (wrong credentials would otherwise be retried with backoff as if the engine were down).
            throw new ImagePullException(imageReference, EngineMessage(exception.ResponseBody) ?? exception.Message);
        }

        if (stream.Error is { } error)
        {
            throw new ImagePullException(imageReference, error);
        }
    }

    public Task RemoveImageAsync(string imageId, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(
            () => client.Images.DeleteImageAsync(imageId, new ImageDeleteParameters { Force = false }, cancellationToken),
            cancellationToken);

    /// <summary>The "message" of an engine's JSON error answer.</summary>
    private static string? EngineMessage(string? responseBody)
    {
        try
        {
            using var document = System.Text.Json.JsonDocument.Parse(responseBody ?? "");
            return document.RootElement.TryGetProperty("message", out var message) ? message.GetString() : null;
        }
        catch (System.Text.Json.JsonException)
        {
            return string.IsNullOrWhiteSpace(responseBody) ? null : responseBody.Trim();
        }
    }

    public Task CreateNetworkAsync(NetworkSpec network, string stack, ResourceOwner owner, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => client.Networks.CreateNetworkAsync(new NetworksCreateParameters
        {
            Name = network.EngineName,
            Driver = network.Driver,
            Internal = network.Internal,
            EnableIPv6 = network.EnableIpv6,
            IPAM = network.Ipam is { } ipam ? Ipam(ipam) : null,
            Attachable = true,
            Options = network.DriverOptions.ToDictionary(StringComparer.Ordinal),
            Labels = OwnerLabels(network.Labels, stack, network.Key, owner),
        }, cancellationToken), cancellationToken);

    private static IPAM Ipam(NetworkIpam ipam) => new()
    {
        Driver = ipam.Driver ?? "default",
        Options = ipam.Options.ToDictionary(StringComparer.Ordinal),
        Config = [.. ipam.Pools.Select(pool => new IPAMConfig
        {
            Subnet = pool.Subnet,
            IPRange = pool.IpRange!,
            Gateway = pool.Gateway!,
            AuxAddress = pool.AuxAddresses.ToDictionary(StringComparer.Ordinal),
        })],
    };

    /// <summary>The network's IPAM as the engine reports it, in the spec's shape so that the two compare.</summary>
    private static NetworkIpam? ObservedIpam(IPAM? ipam) => ipam is null
        ? null
        : new NetworkIpam(
            ipam.Driver,
            [.. (ipam.Config ?? []).Select(pool => new IpamPool(
                pool.Subnet ?? "",
                string.IsNullOrEmpty(pool.IPRange) ? null : pool.IPRange,
                string.IsNullOrEmpty(pool.Gateway) ? null : pool.Gateway,
                (pool.AuxAddress ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal)))],
            (ipam.Options ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal));

    public Task RemoveNetworkAsync(string networkName, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => client.Networks.DeleteNetworkAsync(networkName, cancellationToken), cancellationToken);

    public Task CreateVolumeAsync(VolumeSpec volume, string stack, ResourceOwner owner, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => client.Volumes.CreateAsync(new VolumesCreateParameters
        {
            Name = volume.EngineName,
            Driver = volume.Driver,
            DriverOpts = volume.DriverOptions.ToDictionary(StringComparer.Ordinal),
            Labels = OwnerLabels(volume.Labels, stack, volume.Key, owner),
        }, cancellationToken), cancellationToken);

    public Task RemoveVolumeAsync(string volumeName, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => client.Volumes.RemoveAsync(volumeName, force: false, cancellationToken), cancellationToken);

    public Task<string> CreateContainerAsync(ContainerCreateRequest request, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => CreateContainerCoreAsync(request, cancellationToken), cancellationToken);

    private async Task<string> CreateContainerCoreAsync(ContainerCreateRequest request, CancellationToken cancellationToken)
    {
        var inherited = request.ReplacementOf is { } replaced
            ? await AnonymousVolumesOfAsync(replaced, request, cancellationToken).ConfigureAwait(false)
            : new Dictionary<string, string>(StringComparer.Ordinal);
        CreateContainerResponse created;
        if (!HasFiles(request.Service))
        {
            created = await client.Containers.CreateContainerAsync(CreateParametersMapper.Map(request, inherited), cancellationToken).ConfigureAwait(false);
        }
        else
        {
            await mountedFilesLock.WaitAsync(cancellationToken).ConfigureAwait(false);
            try
            {
                var directory = MaterialiseFiles(request.Service, request.Owner);
                created = await client.Containers.CreateContainerAsync(CreateParametersMapper.Map(request, inherited, directory), cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                mountedFilesLock.Release();
            }
        }

        var spec = request.Service.Container;
        if (spec.NetworkMode is null)
        {
            // Only the first network could be attached at create (API 1.41); connect the rest now,
            // before start, so the process never runs half-connected.
            foreach (var network in spec.Networks.Skip(1))
            {
                var endpoint = new EndpointSettings
                {
                    Aliases = [.. CreateParametersMapper.Aliases(request.Service, network, request.AttachAliases)],
                    IPAMConfig = CreateParametersMapper.FixedAddresses(network),
                };
                await client.Networks.ConnectNetworkAsync(network.EngineName, new NetworkConnectParameters { Container = created.ID, EndpointConfig = endpoint }, cancellationToken).ConfigureAwait(false);
            }
        }

        return created.ID;
    }

    /// <summary>
    /// Target -> volume name of the anonymous volumes of the container being replaced, at the paths
    /// where the new container would get anonymous volumes too. Mounting them again (as docker compose
    /// does on recreate) keeps their data across an update instead of leaving it behind in a volume
    /// nobody mounts any more.
    /// </summary>
    private async Task<Dictionary<string, string>> AnonymousVolumesOfAsync(string replacedName, ContainerCreateRequest request, CancellationToken cancellationToken)
    {
        var inherited = new Dictionary<string, string>(StringComparer.Ordinal);
        ContainerInspectResponse replaced;
        try
        {
            replaced = await client.Containers.InspectContainerAsync(replacedName, cancellationToken).ConfigureAwait(false);
        }
        catch (DockerContainerNotFoundException)
        {
            return inherited; // nothing to take over (e.g. removed by hand meanwhile)
        }

        if (!BerthLabels.IsOwnedBy(replaced.Config?.Labels, request.Owner.HostIdentity))
        {
            return inherited; // never take data from a container berth does not own
        }

        var spec = request.Service.Container;
        var image = await client.Images.InspectImageAsync(spec.Image, cancellationToken).ConfigureAwait(false);
        var targets = CreateParametersMapper.AnonymousVolumeTargets(spec, image.Config?.Volumes?.Keys ?? []);
        foreach (var mount in replaced.Mounts ?? [])
        {
            // Only a volume the engine named itself (64 hex digits): a named volume that used to be
            // at this path is the spec's business, not something to carry over silently.
            if (mount.Type == "volume" && targets.Contains(mount.Destination) && IsEngineGeneratedName(mount.Name))
            {
                inherited[mount.Destination] = mount.Name;
            }
        }

        return inherited;
    }

    public Task<string> CreateFrontAsync(FrontDefinition front, ResourceOwner owner, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => CreateFrontCoreAsync(front, owner, cancellationToken), cancellationToken);

    private async Task<string> CreateFrontCoreAsync(FrontDefinition front, ResourceOwner owner, CancellationToken cancellationToken)
    {
        // What the front is (its image, command, labels, sysctls, hardening) is decided in Fronts/; this
        // only says it in the engine's API.
        var image = await FrontImage.EnsureAsync(new FrontImageStore(client), cancellationToken).ConfigureAwait(false);
        var container = FrontContainer.For(front, owner, image);
        var first = container.Networks[0];
        var created = await client.Containers.CreateContainerAsync(new CreateContainerParameters
        {
            Name = container.Name,
            Image = container.Image,
            Cmd = [.. container.Command],
            Labels = container.Labels.ToDictionary(StringComparer.Ordinal),
            HostConfig = new HostConfig
            {
                NetworkMode = first,
                RestartPolicy = new RestartPolicy { Name = container.RestartUnlessStopped ? RestartPolicyKind.UnlessStopped : RestartPolicyKind.No },
                Sysctls = container.Sysctls.ToDictionary(StringComparer.Ordinal),
                ReadonlyRootfs = container.ReadOnlyRootFilesystem,
                CapDrop = [.. container.DroppedCapabilities],
                SecurityOpt = [.. container.SecurityOptions],
            },
            NetworkingConfig = new NetworkingConfig
            {
                EndpointsConfig = new Dictionary<string, EndpointSettings>(StringComparer.Ordinal)
                {
                    [first] = new EndpointSettings(), // no aliases (FrontContainer)
                },
            },
        }, cancellationToken).ConfigureAwait(false);
        foreach (var network in container.Networks.Skip(1))
        {
            await ConnectNetworkAsync(created.ID, network, [], cancellationToken).ConfigureAwait(false);
        }

        return created.ID;
    }

    /// <summary>The engine's side of <see cref="FrontImage.EnsureAsync"/>; its failures are translated by the caller's <see cref="EngineErrors.CallAsync{T}"/>.</summary>
    private sealed class FrontImageStore(IDockerClient client) : IFrontImageStore
    {
        public async Task<bool> HasImageAsync(string reference, CancellationToken cancellationToken)
        {
            try
            {
                await client.Images.InspectImageAsync(reference, cancellationToken).ConfigureAwait(false);
                return true;
            }
            catch (DockerImageNotFoundException)
            {
                return false;
            }
            catch (DockerApiException exception) when (exception.StatusCode == HttpStatusCode.NotFound)
            {
                return false;
            }
        }

        public async Task ImportImageAsync(string repository, string tag, Stream tarball, CancellationToken cancellationToken)
        {
            var stream = new EngineStreamErrors();
            await client.Images.CreateImageAsync(new ImagesCreateParameters { FromSrc = "-", Repo = repository, Tag = tag }, tarball, null, stream, cancellationToken).ConfigureAwait(false);
            if (stream.Error is { } error)
            {
                throw new ImageImportException($"{repository}:{tag}", error);
            }
        }
    }

    private static bool IsEngineGeneratedName([System.Diagnostics.CodeAnalysis.NotNullWhen(true)] string? name) =>
        name is { Length: 64 } && name.All(character => char.IsAsciiHexDigitLower(character) || char.IsAsciiDigit(character));

    public async Task StartContainerAsync(string containerId, CancellationToken cancellationToken)
    {
        try
        {
            await EngineErrors.CallAsync(() => client.Containers.StartContainerAsync(containerId, new ContainerStartParameters(), cancellationToken), cancellationToken).ConfigureAwait(false);
        }
        catch (EngineNotFoundException notFound) when (notFound.ResponseBody is { } body && !body.Contains(containerId, StringComparison.Ordinal))
        {
            // "No such container: X" naming another container: one this container refers to (network_mode:
            // container:X) does not exist. A lasting error of the spec, not drift during the pass: refused,
            // not a 404 (EngineErrors.IsVanished would retry it as drift at every pass, forever).
            throw new EngineException(EngineFailureKind.Refused, $"the container refers to one that does not exist: {notFound.Message}", notFound);
        }
    }

    public Task StopContainerAsync(string containerId, TimeSpan gracePeriod, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => client.Containers.StopContainerAsync(
            containerId,
            new ContainerStopParameters { WaitBeforeKillSeconds = (uint)Math.Ceiling(gracePeriod.TotalSeconds) },
            cancellationToken), cancellationToken);

    public Task RemoveContainerAsync(string containerId, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(async () =>
        {
            // Volumes are never removed with a container (RemoveVolumes = false), anonymous ones included:
            // on a replacement the new container has taken the old one's anonymous volumes over (see
            // AnonymousVolumesOfAsync), and a container that goes for good leaves them behind like
            // `docker compose down` without -v does. berth never deletes data implicitly (docs/reconcile.md).
            await client.Containers.RemoveContainerAsync(containerId, new ContainerRemoveParameters { Force = true, RemoveVolumes = false }, cancellationToken).ConfigureAwait(false);
            // The secrets and configs of a generation no container uses any more go with its last container.
            await PruneMountedFilesAsync(cancellationToken).ConfigureAwait(false);
            return true;
        }, cancellationToken);

    public async Task EnsureServiceFilesAsync(ServiceSpec service, ResourceOwner owner, CancellationToken cancellationToken)
    {
        if (!HasFiles(service))
        {
            return;
        }

        await mountedFilesLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            MaterialiseFiles(service, owner);
        }
        finally
        {
            mountedFilesLock.Release();
        }
    }

    private static bool HasFiles(ServiceSpec service) =>
        !service.Container.Secrets.IsDefaultOrEmpty || !service.Container.Configs.IsDefaultOrEmpty;

    /// <summary>The service's generation directory, written if missing; a refusal (not retried) when it cannot be.</summary>
    private string MaterialiseFiles(ServiceSpec service, ResourceOwner owner)
    {
        var store = MountedFiles ?? throw new EngineException(EngineFailureKind.Refused,
            $"{service.QualifiedName} has secrets or configs, and berth cannot write them: {MountedFilesProblem ?? "no directory for them is configured"} (see docs/secrets.md)");
        try
        {
            return store.Materialise(owner.HostIdentity, service);
        }
        catch (MountedFileStoreException exception)
        {
            throw new EngineException(EngineFailureKind.Refused, exception.Message, exception);
        }
    }

    /// <summary>
    /// Removes the secrets-and-configs directories of generations no container of berth uses any more
    /// (any host identity: the container's labels say which). One list call, made only while some exist.
    /// </summary>
    private async Task PruneMountedFilesAsync(CancellationToken cancellationToken)
    {
        if (MountedFiles is not { } store || !store.HasAny())
        {
            return;
        }

        await mountedFilesLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var filter = new Dictionary<string, IDictionary<string, bool>>
            {
                ["label"] = new Dictionary<string, bool> { [$"{BerthLabels.ManagedBy}={BerthLabels.ManagedByValue}"] = true },
            };
            var listed = await client.Containers.ListContainersAsync(new ContainersListParameters { All = true, Filters = filter }, cancellationToken).ConfigureAwait(false);
            var inUse = listed
                .Where(container => container.Labels is not null)
                .Select(container => (
                    Host: Label(container.Labels, BerthLabels.Host),
                    Stack: Label(container.Labels, BerthLabels.Stack),
                    Service: Label(container.Labels, BerthLabels.Service),
                    Hash: Label(container.Labels, BerthLabels.ConfigHash)))
                .Where(labels => labels.Host is not null && labels.Stack is not null && labels.Service is not null && labels.Hash is not null)
                .Select(labels => MountedFileStore.InUseKey(labels.Host!, labels.Stack!, labels.Service!, labels.Hash!))
                .ToHashSet(StringComparer.Ordinal);
            store.Prune(inUse);
        }
        finally
        {
            mountedFilesLock.Release();
        }
    }

    public Task RenameContainerAsync(string containerId, string newName, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => client.Containers.RenameContainerAsync(containerId, new ContainerRenameParameters { NewName = newName }, cancellationToken), cancellationToken);

    public Task ConnectNetworkAsync(string containerId, string networkName, ImmutableArray<string> aliases, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => client.Networks.ConnectNetworkAsync(networkName, new NetworkConnectParameters
        {
            Container = containerId,
            EndpointConfig = new EndpointSettings { Aliases = [.. aliases] },
        }, cancellationToken), cancellationToken);

    public Task ConnectReplicaAsync(string containerId, ServiceSpec service, ServiceNetwork network, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => client.Networks.ConnectNetworkAsync(network.EngineName, new NetworkConnectParameters
        {
            Container = containerId,
            EndpointConfig = new EndpointSettings
            {
                Aliases = [.. CreateParametersMapper.Aliases(service, network, attachAliases: true)],
                IPAMConfig = CreateParametersMapper.FixedAddresses(network),
            },
        }, cancellationToken), cancellationToken);

    public Task UpdateContainerAsync(string containerId, ContainerResources resources, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => client.Containers.UpdateContainerAsync(containerId, new ContainerUpdateParameters
        {
            NanoCPUs = resources.NanoCpus,
            Memory = resources.Memory,
            MemorySwap = resources.MemorySwap,
            MemoryReservation = resources.MemoryReservation,
            CPUShares = resources.CpuShares,
            PidsLimit = resources.PidsLimit > 0 ? resources.PidsLimit : null,
        }, cancellationToken), cancellationToken);

    private static string RestartPolicyName(RestartPolicyKind? kind) => kind switch
    {
        RestartPolicyKind.Always => "always",
        RestartPolicyKind.OnFailure => "on-failure",
        RestartPolicyKind.UnlessStopped => "unless-stopped",
        _ => "no",
    };

    public Task DisconnectNetworkAsync(string containerId, string networkName, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => client.Networks.DisconnectNetworkAsync(networkName, new NetworkDisconnectParameters { Container = containerId, Force = true }, cancellationToken), cancellationToken);

    public Task<ContainerSnapshot> InspectContainerAsync(string containerId, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => InspectContainerCoreAsync(containerId, cancellationToken), cancellationToken);

    private async Task<ContainerSnapshot> InspectContainerCoreAsync(string containerId, CancellationToken cancellationToken)
    {
        var inspected = await client.Containers.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
        var state = inspected.State;
        var health = state?.Health;
        return new ContainerSnapshot(
            inspected.ID,
            inspected.Name?.TrimStart('/') ?? inspected.ID,
            ParseRunState(state?.Status),
            ParseHealth(health?.Status),
            (int)(state?.ExitCode ?? 0),
            (int)inspected.RestartCount,
            health?.Log?.LastOrDefault()?.Output?.Trim(),
            (int)(health?.FailingStreak ?? 0),
            ParseTimestamp(state?.StartedAt),
            [.. (inspected.NetworkSettings?.Networks?.Keys ?? []).Order(StringComparer.Ordinal)])
        {
            AnonymousVolumePaths = AnonymousVolumePaths(inspected.Mounts),
            Addresses = (inspected.NetworkSettings?.Networks ?? new Dictionary<string, EndpointSettings>())
                .Where(network => !string.IsNullOrEmpty(network.Value?.IPAddress))
                .ToImmutableSortedDictionary(network => network.Key, network => network.Value.IPAddress, StringComparer.Ordinal),
            Aliases = (inspected.NetworkSettings?.Networks ?? new Dictionary<string, EndpointSettings>())
                .ToImmutableSortedDictionary(network => network.Key, network => (network.Value?.Aliases ?? []).ToImmutableArray(), StringComparer.Ordinal),
            Pid = state?.Running == true ? (int)state.Pid : 0,
            Resources = inspected.HostConfig is { } host
                ? new ContainerResources(
                    host.NanoCPUs, host.Memory, host.MemorySwap, host.MemoryReservation, host.CPUShares, ContainerResources.Unlimited(host.PidsLimit),
                    RestartPolicyName(host.RestartPolicy?.Name), host.RestartPolicy?.MaximumRetryCount ?? 0)
                : null,
            Environment = ContainerEnvironment.FromEngine(inspected.Config?.Env),
            ConfigValues = new ContainerConfigValues
            {
                Environment = ContainerEnvironment.FromEngine(inspected.Config?.Env),
                Command = inspected.Config?.Cmd is { } command ? [.. command] : null,
                Entrypoint = inspected.Config?.Entrypoint is { } entrypoint ? [.. entrypoint] : null,
                Labels = (inspected.Config?.Labels ?? new Dictionary<string, string>()).ToImmutableDictionary(StringComparer.Ordinal),
                HealthCheckTest = inspected.Config?.Healthcheck?.Test is { } test ? [.. test] : null,
                LogOptions = (inspected.HostConfig?.LogConfig?.Config ?? new Dictionary<string, string>()).ToImmutableDictionary(StringComparer.Ordinal),
                ExtraHosts = [.. inspected.HostConfig?.ExtraHosts ?? []],
                User = inspected.Config?.User,
                WorkingDir = inspected.Config?.WorkingDir,
                Hostname = inspected.Config?.Hostname,
            },
        };
    }

    public Task<ContainerExit> WaitForExitAsync(string containerId, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => WaitForExitCoreAsync(containerId, cancellationToken), cancellationToken);

    private async Task<ContainerExit> WaitForExitCoreAsync(string containerId, CancellationToken cancellationToken)
    {
        // POST /containers/{id}/wait (condition not-running): the client sends it without a timeout,
        // so a job may run for as long as it needs; the pass's token ends the wait.
        var waited = await client.Containers.WaitContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
        var inspected = await client.Containers.InspectContainerAsync(containerId, cancellationToken).ConfigureAwait(false);
        return new ContainerExit((int)waited.StatusCode, ParseTimestamp(inspected.State?.FinishedAt));
    }

    public Task<string> TailLogsAsync(string containerId, int lines, CancellationToken cancellationToken) =>
        EngineErrors.CallAsync(() => TailLogsCoreAsync(containerId, lines, cancellationToken), cancellationToken);

    private async Task<string> TailLogsCoreAsync(string containerId, int lines, CancellationToken cancellationToken)
    {
        using var stream = await client.Containers.GetContainerLogsAsync(containerId, new ContainerLogsParameters
        {
            ShowStdout = true,
            ShowStderr = true,
            Tail = lines.ToString(CultureInfo.InvariantCulture),
        }, cancellationToken).ConfigureAwait(false);
        var (stdout, stderr) = await stream.ReadOutputToEndAsync(cancellationToken).ConfigureAwait(false);
        return (stdout + stderr).TrimEnd();
    }

    private static string? Label(IDictionary<string, string> labels, string key) =>
        labels.TryGetValue(key, out var value) ? value : null;

    internal static ContainerRunState ParseRunState(string? status) => status switch
    {
        "running" => ContainerRunState.Running,
        "restarting" => ContainerRunState.Restarting,
        "paused" => ContainerRunState.Paused,
        "exited" => ContainerRunState.Exited,
        "dead" => ContainerRunState.Dead,
        "removing" => ContainerRunState.Removing,
        _ => ContainerRunState.Created,
    };

    internal static ContainerHealth ParseHealth(string? status) => status switch
    {
        "starting" => ContainerHealth.Starting,
        "healthy" => ContainerHealth.Healthy,
        "unhealthy" => ContainerHealth.Unhealthy,
        _ => ContainerHealth.None,
    };

    private static DateTimeOffset? ParseTimestamp(object? value) => value switch
    {
        DateTimeOffset offset => offset,
        DateTime dateTime => new DateTimeOffset(dateTime.ToUniversalTime()),
        string text when DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var parsed) => parsed,
        _ => null,
    };

    private static ImmutableSortedDictionary<string, string> Sorted(IDictionary<string, string>? values) =>
        (values ?? new Dictionary<string, string>()).ToImmutableSortedDictionary(StringComparer.Ordinal);

    private static Dictionary<string, string> OwnerLabels(IReadOnlyDictionary<string, string> userLabels, string stack, string key, ResourceOwner owner)
    {
        var labels = new Dictionary<string, string>(userLabels, StringComparer.Ordinal)
        {
            [BerthLabels.ManagedBy] = BerthLabels.ManagedByValue,
            [BerthLabels.Host] = owner.HostIdentity,
            [BerthLabels.Stack] = stack,
            [BerthLabels.ResourceKey] = key,
        };
        return labels;
    }
}
