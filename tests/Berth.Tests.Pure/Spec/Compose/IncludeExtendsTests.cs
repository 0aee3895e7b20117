using Berth.Reconciler.Spec;
using static Berth.Tests.Spec.SpecTestRepository;

namespace Berth.Tests.Spec.Compose;

/// <summary>`extends:` (same file and another file) and top-level `include:`, resolved as Compose resolves them.</summary>
public sealed class IncludeExtendsTests
{
    [Fact]
    public void Extends_SameFile_TakesTheBaseAndOverlaysTheServiceByTheOverrideRules()
    {
        var stack = LoadStack("""
            services:
              base:
                image: busybox:1.36
                command: [sleep, "3600"]
                environment: { A: base, B: base }
                labels: { team: core }
                ports: ["8080:80"]
              web:
                extends: base
                environment: { B: web }
                ports: ["8443:443"]
            """);

        var web = Assert.Single(stack.Services, service => service.Name == "web").Container;
        Assert.Equal("busybox:1.36", web.Image);
        Assert.Equal(["sleep", "3600"], web.Command);
        Assert.Equal(("base", "web"), (web.Environment["A"], web.Environment["B"]));
        Assert.Equal("core", web.Labels["team"]);
        Assert.Equal(2, web.Ports.Length);
        Assert.Equal(2, stack.Services.Length); // the base is a service of its own too, as in Compose
    }

    [Fact]
    public void Extends_Chain_IsResolvedBaseFirst()
    {
        var stack = LoadStack("""
            services:
              a: { image: busybox, environment: { LEVEL: a, FROM_A: "1" } }
              b: { extends: a, environment: { LEVEL: b } }
              c: { extends: { service: b }, environment: { LEVEL: c } }
            """);

        var c = Assert.Single(stack.Services, service => service.Name == "c").Container;
        Assert.Equal(("c", "1", "busybox"), (c.Environment["LEVEL"], c.Environment["FROM_A"], c.Image));
    }

    [Fact]
    public void Extends_AnotherFile_ResolvesItsRelativePathsAgainstThatFilesDirectory()
    {
        var result = new SpecTestRepository()
            .With("compose.yaml", "name: app\nservices:\n  web:\n    extends: { file: common/base.yaml, service: app }\n    environment: { ROLE: web }\n")
            .With("common/base.yaml", "services:\n  app:\n    image: busybox\n    env_file: app.env\n    volumes: [./data:/data]\n  unused:\n    image: nginx\n")
            .With("common/app.env", "FROM_FILE=yes\n")
            .LoadHost();

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        var service = Assert.Single(result.State!.Stacks[0].Services); // the other file's services are templates, not services of the stack
        Assert.Equal("web", service.Name);
        Assert.Equal(("yes", "web"), (service.Container.Environment["FROM_FILE"], service.Container.Environment["ROLE"]));
        Assert.Contains(service.Container.Mounts, mount => mount.Source == "/repo/common/data" && mount.Target == "/data");
    }

    [Theory]
    [InlineData("services:\n  web:\n    image: busybox\n    extends: missing\n", "4:14: services.web.extends: no service 'missing' in 'compose.yaml'")]
    [InlineData("services:\n  web:\n    image: busybox\n    extends: webb\n", "4:14: services.web.extends: no service 'webb' in 'compose.yaml', did you mean 'web'?")]
    [InlineData("services:\n  a: { image: busybox, extends: b }\n  b: { image: busybox, extends: a }\n", "2:33: services.a.extends: a cycle: a → b → a")]
    [InlineData("services:\n  web:\n    image: busybox\n    extends: { file: /etc/compose.yaml, service: x }\n", "4:22: services.web.extends.file: '/etc/compose.yaml' must be a relative path inside the repository")]
    [InlineData("services:\n  web:\n    image: busybox\n    extends: { file: other.yaml }\n", "4:14: services.web.extends: the long form needs 'service'")]
    [InlineData("services:\n  web:\n    image: busybox\n    extends: { file: other.yaml, service: x }\n", "4:14: Compose file 'other.yaml' does not exist")]
    public void Extends_Mistakes_AreOneErrorAtTheReference(string yaml, string expected)
    {
        Assert.Equal([expected], Errors(yaml));
    }

    // The base would have given the image: "has no image" beside the extends error was a second error
    // for one cause, and the first one shown (it sits on the service's key, above the reference).
    [Theory]
    [InlineData("services:\n  web:\n    extends: { file: ../../compose/databases.yaml, service: db }\n",
        "3:22: services.web.extends.file: '../../compose/databases.yaml' must be a relative path inside the repository")]
    [InlineData("services:\n  web:\n    extends: { file: other.yaml, service: db }\n", "3:14: Compose file 'other.yaml' does not exist")]
    [InlineData("services:\n  web:\n    extends: dbb\n  db: { image: postgres }\n", "3:14: services.web.extends: no service 'dbb' in 'compose.yaml', did you mean 'db'?")]
    public void Extends_FailedWithoutAnImageOfItsOwn_IsOnlyTheExtendsError(string yaml, string expected)
    {
        Assert.Equal([expected], Errors(yaml));
    }

    [Fact]
    public void Extends_ResolvedBaseWithoutAnImage_StillSaysTheServiceHasNoImage()
    {
        Assert.Equal(["3:3: service 'web' has no image: 'image' is required (berth runs images from registries)"],
            Errors("services:\n  base: { restart: always }\n  web: { extends: base }\n").Where(error => error.Contains("'web'", StringComparison.Ordinal)));
    }

    [Fact]
    public void Extends_TwoFilesExtendingFromEachOther_AreResolvedServiceByService()
    {
        // compose.yaml:web -> other.yaml:x -> compose.yaml:y: files refer to each other, services do not
        // form a cycle; Compose resolves only the services referenced, and so does berth.
        var result = new SpecTestRepository()
            .With("compose.yaml", "name: app\nservices:\n  web:\n    extends: { file: other.yaml, service: x }\n  y: { image: busybox:1.36 }\n")
            .With("other.yaml", "services:\n  x:\n    extends: { file: compose.yaml, service: y }\n    environment: { FROM: x }\n")
            .LoadHost();

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        var web = result.State!.Stacks[0].Services.Single(service => service.Name == "web").Container;
        Assert.Equal(("busybox:1.36", "x"), (web.Image, web.Environment["FROM"]));
    }

    [Fact]
    public void Extends_ACycleAcrossFiles_IsAnErrorAtTheReferenceThatClosesIt()
    {
        var errors = new SpecTestRepository()
            .With("compose.yaml", "name: app\nservices:\n  web:\n    extends: { file: other.yaml, service: x }\n")
            .With("other.yaml", "services:\n  x:\n    extends: { file: compose.yaml, service: web }\n")
            .LoadHost().Errors.Select(error => error.ToString()).ToList();

        Assert.Contains(errors, error => error.Contains("a cycle: web → x → web", StringComparison.Ordinal));
    }

    [Fact]
    public void Include_AddsTheIncludedServicesNetworksAndVolumes_InterpolatedWithTheirOwnDotEnv()
    {
        var result = new SpecTestRepository()
            .With("compose.yaml", "name: app\ninclude:\n  - db/compose.yaml\nservices:\n  web:\n    image: busybox\n    depends_on: [db]\n    networks: [back]\n")
            .With("db/compose.yaml", "services:\n  db:\n    image: postgres:${PG_TAG}\n    volumes: [data:/var/lib/postgresql/data]\n    networks: [back]\nnetworks:\n  back: {}\nvolumes:\n  data: {}\n")
            .With("db/.env", "PG_TAG=16\n")
            .LoadHost();

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        var stack = result.State!.Stacks[0];
        Assert.Equal(["db", "web"], stack.Services.Select(service => service.Name).Order());
        Assert.Equal("postgres:16", stack.Services.Single(service => service.Name == "db").Container.Image);
        Assert.Contains(stack.Networks, network => network.EngineName == "app_back");
        Assert.Contains(stack.Volumes, volume => volume.EngineName == "app_data");
    }

    [Fact]
    public void Include_LongForm_EnvFilesAndSeveralPaths_LaterWins()
    {
        var result = new SpecTestRepository()
            .With("compose.yaml", "name: app\ninclude:\n  - path: [db/compose.yaml, db/override.yaml]\n    env_file: [db/one.env, db/two.env]\n")
            .With("db/compose.yaml", "services:\n  db:\n    image: postgres:${PG_TAG}\n    environment: { A: $A }\n")
            .With("db/override.yaml", "services:\n  db:\n    environment: { B: override }\n")
            .With("db/one.env", "PG_TAG=15\nA=one\n")
            .With("db/two.env", "PG_TAG=16\n")
            .LoadHost();

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        var db = Assert.Single(result.State!.Stacks[0].Services).Container;
        Assert.Equal(("postgres:16", "one", "override"), (db.Image, db.Environment["A"], db.Environment["B"]));
    }

    [Fact]
    public void Include_ProjectDirectory_ResolvesTheIncludedFilesRelativePathsAndDotEnvAgainstIt()
    {
        // As Compose: the file lives in compose/, its paths are written for the project directory db/.
        var result = new SpecTestRepository()
            .With("compose.yaml", "name: app\ninclude:\n  - path: compose/db.yaml\n    project_directory: db\n")
            .With("compose/db.yaml", "services:\n  db:\n    image: postgres:${PG_TAG}\n    env_file: db.env\n    volumes: [./data:/var/lib/postgresql/data]\n")
            .With("db/.env", "PG_TAG=16\n")
            .With("db/db.env", "FROM_PROJECT_DIRECTORY=yes\n")
            .With("compose/db.env", "FROM_FILES_DIRECTORY=yes\n")
            .LoadHost();

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        var db = Assert.Single(result.State!.Stacks[0].Services).Container;
        Assert.Equal("postgres:16", db.Image);
        Assert.Equal("yes", db.Environment["FROM_PROJECT_DIRECTORY"]);
        Assert.False(db.Environment.ContainsKey("FROM_FILES_DIRECTORY"));
        Assert.Equal("/repo/db/data", Assert.Single(db.Mounts).Source);
    }

    [Fact]
    public void Include_ProjectDirectoryTheRepositoryRoot_IsAllowed()
    {
        var result = new SpecTestRepository()
            .With("compose.yaml", "name: app\ninclude:\n  - path: parts/db.yaml\n    project_directory: .\n")
            .With("parts/db.yaml", "services:\n  db:\n    image: postgres\n    env_file: db.env\n")
            .With("db.env", "AT_ROOT=yes\n")
            .LoadHost();

        Assert.True(result.Errors.IsEmpty, string.Join("\n", result.Errors));
        Assert.Equal("yes", Assert.Single(result.State!.Stacks[0].Services).Container.Environment["AT_ROOT"]);
    }

    [Fact]
    public void Include_AServiceDefinedAgain_IsAnErrorAsInCompose()
    {
        var errors = new SpecTestRepository()
            .With("compose.yaml", "name: app\ninclude: [db.yaml]\nservices:\n  db:\n    image: postgres\n")
            .With("db.yaml", "services:\n  db:\n    image: postgres\n")
            .LoadHost().Errors.Select(error => error.ToString());

        Assert.Equal(["compose.yaml:4:3: service 'db' is also defined by the included file 'db.yaml' (db.yaml:2:3); Compose refuses to redefine an included service: list an override file under the stack's 'compose:' in berth.yaml instead"], errors);
    }

    [Theory]
    [InlineData("include: [missing.yaml]\n", "compose.yaml:2:11: Compose file 'missing.yaml' does not exist")]
    [InlineData("include: [../outside.yaml]\n", "compose.yaml:2:11: include[0]: '../outside.yaml' must be a relative path inside the repository")]
    [InlineData("include:\n  - path: db.yaml\n    project_directory: ../elsewhere\n", "compose.yaml:4:24: include[0].project_directory: '../elsewhere' must be a relative path to a directory inside the repository")]
    [InlineData("include:\n  - path: db.yaml\n    project_directory: /srv/db\n", "compose.yaml:4:24: include[0].project_directory: '/srv/db' must be a relative path to a directory inside the repository")]
    [InlineData("include:\n  - env_file: x.env\n", "compose.yaml:3:5: include[0]: the long form needs 'path'")]
    [InlineData("include:\n  - path: db.yaml\n    env_file: nope.env\n", "compose.yaml:4:15: 'nope.env' does not exist")]
    [InlineData("include: [compose.yaml]\n", "compose.yaml:2:11: 'compose.yaml' includes or extends itself: compose.yaml → compose.yaml")]
    public void Include_Mistakes_AreErrorsAtTheEntry(string include, string expected)
    {
        var errors = new SpecTestRepository()
            .With("compose.yaml", "name: app\n" + include + "services:\n  web: { image: busybox }\n")
            .With("db.yaml", "services:\n  db: { image: postgres }\n")
            .LoadHost().Errors.Select(error => error.ToString());

        Assert.Equal([expected], errors);
    }
}
