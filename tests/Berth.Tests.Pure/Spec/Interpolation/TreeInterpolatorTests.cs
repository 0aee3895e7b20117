using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Interpolation;

public sealed class TreeInterpolatorTests
{
    private const string Undefined = "variable {0} is not defined (set it in the host's or stack's vars, or give a default: ${{{0}:-value}})";

    [Theory]
    [InlineData("ports: [\"${HTTP_PORT}:80\"]", "4:13: ", "HTTP_PORT")]
    [InlineData("restart: ${RESTART}", "4:14: ", "RESTART")]
    [InlineData("volumes: [\"${DATA_DIR}/db:/var/lib/db\"]", "4:15: ", "DATA_DIR")]
    [InlineData("container_name: ${NAME}", "4:21: ", "NAME")]
    [InlineData("networks: [\"${NETWORK}\"]", "4:16: ", "NETWORK")]
    [InlineData("environment: [\"URL=${URL}\"]", "4:19: ", "URL")]
    public void UndefinedVariable_IsOneErrorAndTheValueIsNotValidatedFurther(string line, string prefix, string variable)
    {
        // Before: a second error followed, about the raw "${...}" text as an invalid port, restart, path or name.
        Assert.Equal(
            [prefix + string.Format(System.Globalization.CultureInfo.InvariantCulture, Undefined, variable)],
            Errors($"services:\n  web:\n    image: busybox\n    {line}\n"));
    }

    [Fact]
    public void UndefinedVariableInAnAnchor_IsOneErrorWhateverTheNumberOfAliasUsers()
    {
        var errors = Errors("""
            x-common: &common
              restart: ${RESTART}
              ports: ["${PORT}"]
            services:
              web: { image: busybox, <<: *common }
              api: { image: busybox, <<: *common }
              worker:
                image: busybox
                <<: *common
            """);

        Assert.Equal(
            [
                "2:12: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, Undefined, "RESTART"),
                "3:11: " + string.Format(System.Globalization.CultureInfo.InvariantCulture, Undefined, "PORT"),
            ],
            errors);
    }

    [Fact]
    public void InvalidValueInAnAnchor_IsReportedOnceNotOncePerAliasUser()
    {
        var errors = Errors("""
            x-common: &common
              restart: sometimes
              unknown_key: 1
            services:
              web: { image: busybox, <<: *common }
              api: { image: busybox, <<: *common }
            """);

        Assert.Equal(
            [
                "2:12: services.web.restart must be no, always, on-failure, on-failure:N or unless-stopped, not 'sometimes'",
                "3:3: unknown key 'unknown_key' in services.web",
            ],
            errors.Select(error => error.Split(", did you mean")[0]));
    }
}
