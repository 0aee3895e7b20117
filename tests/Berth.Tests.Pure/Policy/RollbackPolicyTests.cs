using Berth.Reconciler.Policy;
using Berth.Reconciler.Spec.Model;
using Berth.Tests.Shared;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Policy;

/// <summary>
/// A rollback target comes from the state file, applied under an older (or no) policy: it is judged
/// by the policy in force now, as a commit would be, before the planner may roll back to it.
/// </summary>
public sealed class RollbackPolicyTests
{
    private static readonly ServiceSpec Plain = Service("shop", "web", Container());

    private static HostPolicyScope Scope(HostPolicy policy) => new(policy, "/repo");

    [Fact]
    public void RefusedRollbacks_PreviousSpecWithWhatThePolicyRefuses_NamedWithItsFirstViolation()
    {
        var previous = Plain.WithContainer(container => container with { Privileged = true, CapAdd = ["SYS_ADMIN"] });
        var desired = Desired("host-a", Stack("shop", [Plain]));

        var refused = Scope(HostPolicy.Restrictive).RefusedRollbacks(desired, TestObserved.Applied("host-a", previous));

        var (service, reason) = Assert.Single(refused);
        Assert.Equal("shop/web", service);
        Assert.StartsWith("services.web.privileged: a privileged container", reason, StringComparison.Ordinal);
        Assert.EndsWith("(and 1 more)", reason, StringComparison.Ordinal);
    }

    [Fact]
    public void RefusedRollbacks_PreviousSpecThePolicyAllows_NotRefused()
    {
        var previous = Plain.WithContainer(container => container with { Privileged = true });
        var desired = Desired("host-a", Stack("shop", [Plain]));

        Assert.Empty(Scope(HostPolicy.Restrictive with { Privileged = true }).RefusedRollbacks(desired, TestObserved.Applied("host-a", previous)));
        Assert.Empty(Scope(HostPolicy.Restrictive).RefusedRollbacks(desired, TestObserved.Applied("host-a", Plain.WithEnvironment("VERSION", "1"))));
    }

    [Fact]
    public void RefusedRollbacks_PreviousBindBelowAWritableBindOfAnotherService_Refused()
    {
        // The host's other services stay as desired while one rolls back: their writable binds count.
        var writer = Service("shop", "writer", Container()).WithContainer(container => container with { Mounts = [new MountSpec(MountType.Bind, "/repo/data", "/data", ReadOnly: false)] });
        var previous = Plain.WithContainer(container => container with { Mounts = [new MountSpec(MountType.Bind, "/repo/data/x", "/host", ReadOnly: true)] });
        var desired = Desired("host-a", Stack("shop", [Plain, writer]));

        var refused = Scope(HostPolicy.Restrictive).RefusedRollbacks(desired, TestObserved.Applied("host-a", previous));

        Assert.Contains("lies below /repo/data, which services.writer mounts writable", Assert.Single(refused).Value, StringComparison.Ordinal);
    }
}
