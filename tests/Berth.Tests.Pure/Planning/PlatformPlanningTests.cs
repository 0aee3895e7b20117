using System.Collections.Immutable;
using Berth.Reconciler.Observe;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.State;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Planning;

/// <summary>`platform` in the plan: a local image of another platform holds the service back; a pull asks for the platform.</summary>
public sealed class PlatformPlanningTests
{
    private const string Host = "host-a";

    private static ServiceSpec Web(string platform) => Service("shop", "web", WebContainer()).WithContainer(container => container with { Platform = platform });

    [Fact]
    public void Plan_LocalImageOfAnotherPlatform_HoldsTheServiceBackAndTouchesNothing()
    {
        var running = Service("shop", "web", WebContainer());
        var desired = Desired(Host, Stack("shop", [Web("linux/arm64")]));
        var observed = TestObserved.State([TestObserved.Running(running, 1)]) with
        {
            ImagePlatforms = ImmutableDictionary<string, string>.Empty.Add(Image, "linux/amd64"),
        };

        var plan = Planner.Create(desired, observed, TestObserved.Applied(Host, running));

        Assert.Equal(
            $"""
            plan for host host-a: no changes
              error: shop/web: held back: platform is linux/arm64, but the local image {Image} is linux/amd64; berth never runs another platform than the one asked for. Make {Image} an image for linux/arm64 on this host (pull or load it), or change platform

            """, plan.ToString());
    }

    [Fact]
    public void Plan_LocalImageOfThePlatform_RollsOutAsUsual()
    {
        var desired = Desired(Host, Stack("shop", [Web("linux/amd64")]));
        var observed = TestObserved.State([]) with { ImagePlatforms = ImmutableDictionary<string, string>.Empty.Add(Image, "linux/amd64") };

        var plan = Planner.Create(desired, observed, AppliedState.Empty(Host));

        Assert.Equal("plan for host host-a: 1 change\n  create container shop-web-1 (shop/web #1): missing\n", plan.ToString());
    }

    [Fact]
    public void Plan_MissingImage_IsPulledForThePlatform()
    {
        var desired = Desired(Host, Stack("shop", [Web("linux/arm64")]));

        var plan = Planner.Create(desired, TestObserved.State([], presentImages: []), AppliedState.Empty(Host));

        var pull = Assert.IsType<PullImageStep>(plan.Steps[0]);
        Assert.Equal("linux/arm64", pull.Platform);
        Assert.Equal($"pull image {Image} (linux/arm64): not present locally", pull.Describe());
    }
}
