using Berth.Reconciler.Images;
using Berth.Reconciler.Spec.Model;
using static Berth.Tests.Shared.TestSpecs;

namespace Berth.Tests.Images;

public sealed class PullScheduleTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 5, 0, 0, 0, TimeSpan.Zero);
    private const string Image = "registry.example.com/web:stable";
    private static readonly Dictionary<string, string> Present = new() { [Image] = "sha256:local" };

    private static DesiredState With(PullPolicy policy, string image = Image, int replicas = 1) =>
        Desired("host", Stack("app", [Service("app", "web", Container(image), replicas) with { PullPolicy = policy }]));

    [Fact]
    public void Always_IsDueOnEveryPass()
    {
        Assert.Equal(Image, Assert.Single(PullSchedule.DueImages(With(PullPolicy.Always), Present, new Dictionary<string, DateTimeOffset> { [Image] = Now }, Now)));
    }

    [Fact]
    public void Every_IsDueOnlyOnceItsIntervalPassed()
    {
        var desired = With(PullPolicy.Every(TimeSpan.FromHours(12)));

        Assert.Empty(PullSchedule.DueImages(desired, Present, new Dictionary<string, DateTimeOffset> { [Image] = Now.AddHours(-11) }, Now));
        Assert.Equal(Image, Assert.Single(PullSchedule.DueImages(desired, Present, new Dictionary<string, DateTimeOffset> { [Image] = Now.AddHours(-12) }, Now)));
        Assert.Equal(Image, Assert.Single(PullSchedule.DueImages(desired, Present, new Dictionary<string, DateTimeOffset>(), Now)));
    }

    [Fact]
    public void MissingNeverPinnedAbsentOrScaledToZero_AreNeverDue()
    {
        var none = new Dictionary<string, DateTimeOffset>();
        Assert.Empty(PullSchedule.DueImages(With(PullPolicy.Missing), Present, none, Now));
        Assert.Empty(PullSchedule.DueImages(With(PullPolicy.Never), Present, none, Now));
        Assert.Empty(PullSchedule.DueImages(With(PullPolicy.Always, "registry.example.com/web@sha256:abc"), new Dictionary<string, string> { ["registry.example.com/web@sha256:abc"] = "x" }, none, Now));
        Assert.Empty(PullSchedule.DueImages(With(PullPolicy.Always), new Dictionary<string, string>(), none, Now));
        Assert.Empty(PullSchedule.DueImages(With(PullPolicy.Always, replicas: 0), Present, none, Now));
    }
}
