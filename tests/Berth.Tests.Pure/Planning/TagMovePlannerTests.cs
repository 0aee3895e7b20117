using System.Collections.Immutable;
using Berth.Reconciler.Images;
using Berth.Reconciler.Planning;
using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Shared.TestObserved;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Planning;

/// <summary>The planner's rule for a tag that moved in its registry, and for a registry check that failed.</summary>
public sealed class TagMovePlannerTests
{
    private const string Image = "registry.example.com/web:stable";

    private static (DesiredState Desired, ServiceSpec Web) WebOnMovingTag()
    {
        var web = Service("app", "web", Container(Image)) with { PullPolicy = PullPolicy.Always };
        return (Desired("host", Stack("app", [web])), web);
    }

    [Fact]
    public void MovedTag_PullsThenReplacesWithTheMoveAsCause()
    {
        var (desired, web) = WebOnMovingTag();
        var observed = Matching(desired) with
        {
            TagChecks = TagCheckResult.None with
            {
                Moved = TagCheckResult.None.Moved.Add(Image, new TagMove(Image, "sha256:aaaaaaaaaaaaaaaaaaaa", "sha256:bbbbbbbbbbbbbbbbbbbb")),
            },
        };

        var plan = Planner.Create(desired, observed, Applied("host", web));

        Assert.Equal(
            """
            plan for host host: 2 changes
              pull image registry.example.com/web:stable: image tag moved: sha256:aaaaaaaaaaaa… → sha256:bbbbbbbbbbbb…
              replace container app-web-1 (app/web #1, start-first): image tag moved: sha256:aaaaaaaaaaaa… → sha256:bbbbbbbbbbbb…
            """.ReplaceLineEndings("\n"),
            plan.ToString().ReplaceLineEndings("\n").TrimEnd('\n'));
    }

    [Fact]
    public void FailedCheck_IsANoticeAndChangesNothing()
    {
        var (desired, web) = WebOnMovingTag();
        var observed = Matching(desired) with
        {
            TagChecks = TagCheckResult.None with
            {
                Problems = TagCheckResult.None.Problems.Add(Image, "registry registry.example.com is unreachable: Connection refused"),
            },
        };

        var plan = Planner.Create(desired, observed, Applied("host", web));

        Assert.False(plan.HasChanges);
        Assert.Equal("registry check failed, keeping the local image: registry registry.example.com is unreachable: Connection refused", Assert.Single(plan.Notices).Message);
    }
}
