using Berth.Reconciler.Spec;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

public sealed class ComposeFileReaderTests
{
    [Fact]
    public void VersionAndTopLevelExtensions_AreAcceptedAndIgnored()
    {
        var stack = LoadStack("version: \"3.8\"\nx-anything: { a: [1, 2] }\nservices:\n  web: { image: busybox }\n");

        Assert.Equal("web", Assert.Single(stack.Services).Name);
    }

    [Theory]
    [InlineData("services:\n  web:\n    image: busybox\n    build: .\n",
        "4:5: 'services.web.build' is not supported by berth; images come from registries; build and push elsewhere, then set 'image'")]
    [InlineData("services:\n  web:\n    image: busybox\n    helthcheck: {}\n",
        "4:5: unknown key 'helthcheck' in services.web, did you mean 'healthcheck'?")]
    [InlineData("services:\n  web:\n    image: busybox\n    oom_score_adj: 100\n",
        "4:5: 'services.web.oom_score_adj' is not supported by berth")]
    [InlineData("services:\n  web: { image: busybox }\nsecrets:\n  s: { external: true }\n",
        "4:8: 'secrets.s.external' is not supported by berth; it needs Swarm: berth runs Compose without Swarm, as docker compose does; use file or environment")]
    [InlineData("services:\n  web: { image: busybox }\nnetworks:\n  n: { enable_ipv4: true }\n",
        "4:8: 'networks.n.enable_ipv4' is not supported by berth")]
    [InlineData("services:\n  web:\n    image: busybox\n    x-berth: { drain: 2s }\nx-berth: {}\n",
        "5:1: x-berth is not read at the top level; berth reads x-berth on services only (see docs/repository-format.md)")]
    public void UnknownAndUnsupportedKeys_AreErrorsAtTheKey(string yaml, string expected)
    {
        Assert.Equal([expected], Errors(yaml));
    }

    [Theory]
    [InlineData("    init: maybe\n", "4:11: services.web.init must be true or false, not 'maybe'")]
    [InlineData("    ports: 80\n", "4:12: services.web.ports must be a list, not a string")]
    [InlineData("    environment: just-a-string\n", "4:18: services.web.environment must be a mapping or a list of KEY=VALUE, not a string")]
    [InlineData("    command: { a: b }\n", "4:14: services.web.command must be a list, not a mapping")]
    [InlineData("    stop_grace_period: 10\n", "4:24: services.web.stop_grace_period: invalid duration '10': it has no unit (only 0 may be written without one); write a number with a unit, e.g. 500ms, 10s, 1.5m, 1h30m")]
    [InlineData("    shm_size: 1x\n", "4:15: services.web.shm_size: invalid size '1x' (use bytes or a number with a unit: 512m, 1g, 64k)")]
    [InlineData("    restart: sometimes\n", "4:14: services.web.restart must be no, always, on-failure, on-failure:N or unless-stopped, not 'sometimes'")]
    [InlineData("    ulimits: { nofile: { soft: 10 } }\n", "4:24: services.web.ulimits.nofile needs both 'soft' and 'hard' (or a single number for both)")]
    [InlineData("    container_name: -bad\n", "4:21: services.web.container_name: invalid container name '-bad' (letters, digits, '_', '.', '-'; starting with a letter or digit)")]
    [InlineData("    network_mode: bridged\n", "4:19: services.web.network_mode must be host, none, bridge, service:NAME or container:NAME, not 'bridged'")]
    [InlineData("    env_file: missing.env\n", "4:15: services.web.env_file: 'missing.env' does not exist (set required: false if it is optional)")]
    [InlineData("    env_file: /etc/secret.env\n", "4:15: services.web.env_file: '/etc/secret.env' must be a relative path inside the repository; host-local secrets go in the host's env files (see docs/repository-format.md)")]
    public void WrongTypesAndValues_AreErrorsAtTheValue(string line, string expected)
    {
        Assert.Equal([expected], Errors("services:\n  web:\n    image: busybox\n" + line).Where(error => !error.Contains("has no image", StringComparison.Ordinal)));
    }

    [Fact]
    public void WrongTypeOfServices_IsAnError()
    {
        Assert.Equal(["1:1: stack 'repo' has no services", "1:11: services must be a mapping, not a list"], Errors("services: [web]\n"));
        Assert.Equal(["3:12: services.web.image must be a string, not a list"], Errors("services:\n  web:\n    image: [a]\n"));
        Assert.Equal(["1:1: stack 'repo' has no services", "1:1: unknown key 'servics' at the top level, did you mean 'services'?"], Errors("servics:\n  web: { image: busybox }\n"));
    }

    [Fact]
    public void UndefinedVariable_IsAnErrorAtTheScalar()
    {
        Assert.Equal(
            ["3:12: variable TAG is not defined (set it in the host's or stack's vars, or give a default: ${TAG:-value})"],
            Errors("services:\n  web:\n    image: \"nginx:${TAG}\"\n"));
    }

    [Fact]
    public void RequiredVariable_MissingIsAnErrorWithItsMessage()
    {
        Assert.Equal(
            ["4:24: required variable DB_PASSWORD is missing a value: set it in /etc/berth/host.env"],
            Errors("services:\n  web:\n    image: busybox\n    environment: { PW: \"${DB_PASSWORD:?set it in /etc/berth/host.env}\" }\n"));
    }

    [Fact]
    public void DollarEscape_IsALiteralDollar()
    {
        var service = LoadService("image: busybox\ncommand: [sh, -c, \"echo $$HOME $${USER}\"]");

        Assert.Equal("echo $HOME ${USER}", service.Container.Command!.Value[2]);
    }

    [Fact]
    public void SecretUsedAsAnIdentifier_IsBlankedOutOfErrors()
    {
        var options = new SpecLoadOptions { HostEnvironment = new Dictionary<string, string> { ["NET"] = "very-secret-net" } };

        var errors = Errors("services:\n  web:\n    image: busybox\n    networks: [\"${NET}\"]\n", options);

        Assert.Equal(["4:16: service 'web' uses unknown network '(hidden)'; define it under the top-level networks:"], errors);
    }

    [Fact]
    public void TwoContainerNamesInOneStack_IsAnError()
    {
        Assert.Equal(
            ["6:21: container name 'same' of stack 'repo' service 'web' is also used by stack 'repo' service 'api' on this host; rename a stack or service, or set container_name"],
            Errors("services:\n  api:\n    image: busybox\n    container_name: same\n  web:\n    container_name: same\n    image: busybox\n"));
    }

    [Theory]
    [InlineData("networks:\n  front:\n    labels: { io.berth.key: other }\nvolumes:\n  data: {}\n", "5:15: networks.front.labels: 'io.berth.key' is one of berth's own labels (io.berth.*), which mark what berth manages; use another prefix")]
    [InlineData("networks:\n  front: {}\nvolumes:\n  data:\n    labels: [io.berth.stack=other]\n", "7:14: volumes.data.labels: 'io.berth.stack' is one of berth's own labels (io.berth.*), which mark what berth manages; use another prefix")]
    public void ResourceLabels_UnderBerthsOwnPrefix_AreErrorsAtTheKey(string topLevel, string expected)
    {
        Assert.Equal([expected], Errors($"services:\n  web: {{ image: busybox, volumes: [data:/data], networks: [front] }}\n{topLevel}"));
    }
}
