using Berth.Reconciler.Engine;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Spec.Model;

namespace Berth.Tests.Shared;

/// <summary>
/// What the executor relies on from <see cref="IContainerEngine"/>, run against the real engine
/// (Berth.Tests.Docker) and against the fake that the fast executor tests use (Berth.Tests.Pure), so
/// an answer the fake gives in a fast test is the answer the engine gives (controller-runtime's habit:
/// a fake earns its place only by passing the same contract as the real thing).
/// </summary>
public abstract class ContainerEngineContract
{
    /// <summary>
    /// An engine, the host identity to use on it, a second identity on the same engine, and what removes
    /// everything the test created there for both.
    /// </summary>
    protected abstract (IContainerEngine Engine, string Host, string OtherHost, IAsyncDisposable Cleanup) Open();

    private static ServiceSpec App(string stack, params string[] command) => TestSpecs.Service(stack, "app", TestSpecs.Container(TestSpecs.Image, command));

    [Fact]
    public async Task CreateThenStart_IsObservedCreatedThenRunning_WithItsIdentity()
    {
        var (engine, host, _, cleanup) = Open();
        await using var disposable = cleanup;
        var service = App(host);

        var id = await engine.CreateContainerAsync(new ContainerCreateRequest(service, 1, $"{host}-app-1", new ResourceOwner(host, "rev-1"), null, AttachAliases: true), CancellationToken.None);
        var created = Assert.Single((await engine.ObserveAsync(host, [], CancellationToken.None)).Containers);
        await engine.StartContainerAsync(id, CancellationToken.None);
        var running = Assert.Single((await engine.ObserveAsync(host, [], CancellationToken.None)).Containers);

        Assert.Equal((id, $"{host}-app-1", host, "app", 1, service.ConfigHash, "rev-1", ContainerRunState.Created), (created.Id, created.Name, created.Stack, created.Service, created.Replica, created.ConfigHash, created.Revision, created.State));
        Assert.Equal((id, ContainerRunState.Running, ContainerHealth.None), (running.Id, running.State, running.Health));
        Assert.Equal((ContainerRunState.Running, $"{host}-app-1"), ((await engine.InspectContainerAsync(id, CancellationToken.None)).State, (await engine.InspectContainerAsync(id, CancellationToken.None)).Name));
    }

    [Fact]
    public async Task StopThenRename_KeepsTheIdUnderTheNewName_AndARenamedReplacementIsLabelledWithWhatItTakesOver()
    {
        var (engine, host, _, cleanup) = Open();
        await using var disposable = cleanup;
        var service = App(host);
        var id = await engine.CreateContainerAsync(new ContainerCreateRequest(service, 1, $"{host}-app-1-next", new ResourceOwner(host, "rev-2"), $"{host}-app-1", AttachAliases: false), CancellationToken.None);
        await engine.StartContainerAsync(id, CancellationToken.None);

        await engine.StopContainerAsync(id, TimeSpan.FromSeconds(2), CancellationToken.None);
        await engine.RenameContainerAsync(id, $"{host}-app-1", CancellationToken.None);

        var container = Assert.Single((await engine.ObserveAsync(host, [], CancellationToken.None)).Containers);
        Assert.Equal((id, $"{host}-app-1", ContainerRunState.Exited, $"{host}-app-1"), (container.Id, container.Name, container.State, container.ReplacementOf));
    }

    [Fact]
    public async Task StartOfACommandThatExits_IsObservedExitedWithItsCode()
    {
        var (engine, host, _, cleanup) = Open();
        await using var disposable = cleanup;
        var id = await engine.CreateContainerAsync(new ContainerCreateRequest(App(host, "sh", "-c", "exit 3"), 1, $"{host}-app-1", new ResourceOwner(host, "rev-1"), null, AttachAliases: true), CancellationToken.None);

        await engine.StartContainerAsync(id, CancellationToken.None);

        var exited = await PollAsync(() => engine.InspectContainerAsync(id, CancellationToken.None), snapshot => snapshot.State == ContainerRunState.Exited);
        Assert.Equal(3, exited.ExitCode);
    }

    [Fact]
    public async Task Remove_ThenAnyCallOnIt_IsNotFound_AndItIsNoLongerObserved()
    {
        var (engine, host, _, cleanup) = Open();
        await using var disposable = cleanup;
        var id = await engine.CreateContainerAsync(new ContainerCreateRequest(App(host), 1, $"{host}-app-1", new ResourceOwner(host, "rev-1"), null, AttachAliases: true), CancellationToken.None);

        await engine.RemoveContainerAsync(id, CancellationToken.None);

        Assert.Empty((await engine.ObserveAsync(host, [], CancellationToken.None)).Containers);
        Assert.True(EngineErrors.IsNotFound(await Assert.ThrowsAnyAsync<Exception>(() => engine.InspectContainerAsync(id, CancellationToken.None))));
        Assert.True(EngineErrors.IsNotFound(await Assert.ThrowsAnyAsync<Exception>(() => engine.StartContainerAsync(id, CancellationToken.None))));
    }

    [Fact]
    public async Task Create_ImageNotPresent_IsARefusalNotATransientError()
    {
        var (engine, host, _, cleanup) = Open();
        await using var disposable = cleanup;
        var service = TestSpecs.Service(host, "app", TestSpecs.Container("berth-test/never-built:1"));

        var error = await Assert.ThrowsAnyAsync<Exception>(() =>
            engine.CreateContainerAsync(new ContainerCreateRequest(service, 1, $"{host}-app-1", new ResourceOwner(host, "rev-1"), null, AttachAliases: true), CancellationToken.None));

        Assert.False(EngineErrors.IsTransient(error));
        Assert.True(EngineErrors.IsNotFound(error));
    }

    [Fact]
    public async Task Observe_AnotherHostsContainer_IsNotOwnedButItsNameIsKnownAsForeign()
    {
        var (engine, host, otherHost, cleanup) = Open();
        await using var disposable = cleanup;
        await engine.CreateContainerAsync(new ContainerCreateRequest(App(otherHost), 1, $"{otherHost}-app-1", new ResourceOwner(otherHost, "rev-1"), null, AttachAliases: true), CancellationToken.None);

        var observed = await engine.ObserveAsync(host, [], CancellationToken.None);

        Assert.Empty(observed.Containers);
        Assert.Contains($"{otherHost}-app-1", observed.ForeignContainerNames);
    }

    [Fact]
    public async Task ObserveService_SeesThatServicesContainersAsTheWholeObservationDoes_AndNoOthers()
    {
        var (engine, host, _, cleanup) = Open();
        await using var disposable = cleanup;
        var owner = new ResourceOwner(host, "rev-1");
        foreach (var (service, replica) in new[] { ("app", 1), ("app", 2), ("other", 1) })
        {
            var spec = TestSpecs.Service(host, service, TestSpecs.Container());
            var id = await engine.CreateContainerAsync(new ContainerCreateRequest(spec, replica, $"{host}-{service}-{replica}", owner, null, AttachAliases: true), CancellationToken.None);
            await engine.StartContainerAsync(id, CancellationToken.None);
        }

        var whole = await engine.ObserveAsync(host, [], CancellationToken.None);
        var scoped = await engine.ObserveServiceAsync(host, host, "app", CancellationToken.None);

        static string Describe(ObservedContainer container) =>
            $"{container.Id} {container.Name} {container.Replica} {container.State} {container.Health} {container.ConfigHash} {string.Join(",", container.Addresses)}";
        Assert.Equal([$"{host}-app-1", $"{host}-app-2"], scoped.Containers.Select(container => container.Name));
        Assert.Equal(whole.Containers.Where(container => container.Service == "app").Select(Describe), scoped.Containers.Select(Describe));
    }

    private static async Task<T> PollAsync<T>(Func<Task<T>> read, Func<T, bool> done)
    {
        var deadline = DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            var value = await read();
            if (done(value) || DateTimeOffset.UtcNow > deadline)
            {
                return value;
            }

            await Task.Delay(100);
        }
    }
}
