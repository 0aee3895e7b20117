using System.Globalization;
using Berth.Reconciler.Spec;

namespace Berth.Tests.Spec;

public sealed class FileLimitsTests
{
    [Fact]
    public void LoadHost_OneEnvFileListedOverAndOver_StopsAtTheLoadsReadBudget()
    {
        // Each read is within the 1 MiB limit for an env file; 70 of them are not within what one
        // load may read (64 MiB). Without a total, a 4 MiB Compose file could list it 500,000 times.
        const int entries = 70;
        var envFile = "A=" + new string('x', 1024 * 1024 - 3) + "\n";
        var compose = $"services:\n  web:\n    image: busybox\n    env_file: [{string.Join(", ", Enumerable.Repeat("a.env", entries))}]\n";
        var repository = SpecTestRepository.Compose(compose).With("a.env", envFile);

        var errors = repository.LoadHost().Errors;

        // compose.yaml took a few hundred bytes of the budget: 63 reads of 1 MiB fit, the 64th does not.
        const int firstRefused = 64;
        var column = "    env_file: [".Length + 1 + ((firstRefused - 1) * "a.env, ".Length);
        Assert.Equal(entries - firstRefused + 1, errors.Length);
        Assert.Equal(
            $"compose.yaml:4:{column.ToString(CultureInfo.InvariantCulture)}: services.web.env_file: 'a.env' would take what berth reads for this host past 64 MiB in all (every env_file entry and Compose file counts each time it is read)",
            errors[0].ToString());
    }

    [Fact]
    public void LoadHost_SameEnvFileInSeveralServices_IsReadForEach()
    {
        var repository = SpecTestRepository.Compose("name: app\nservices:\n  a: { image: busybox, env_file: x.env }\n  b: { image: busybox, env_file: x.env }\n")
            .With("x.env", "A=1\n");

        var result = repository.LoadHost();

        Assert.Empty(result.Errors);
        Assert.All(result.State!.Stacks[0].Services, service => Assert.Equal("1", service.Container.Environment["A"]));
    }
}
