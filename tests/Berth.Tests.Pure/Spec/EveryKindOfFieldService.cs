using Berth.Reconciler.Secrets.Files;
using Berth.Reconciler.Spec;

namespace Berth.Tests.Spec;

/// <summary>
/// One service that sets every kind of field ContainerSpec has (nested records, nullables, enums, the fields
/// hashed only when set), loaded with a fixed content key: what ConfigHashPinTests pins and
/// ConfigHashJsonContextTests serialises both ways. The text must not change: the pinned hashes are of it.
/// </summary>
internal static class EveryKindOfFieldService
{
    private const string Compose = """
            services:
              all:
                image: nginx:1
                entrypoint: [/bin/sh, -c]
                command: [echo, hi]
                environment: { A: "1" }
                labels: { l: v }
                ports: ["127.0.0.1:8080:80/tcp", "53:53/udp"]
                expose: ["9000"]
                volumes:
                  - data:/data:ro
                  - /srv/conf:/conf:ro,z
                  - type: bind
                    source: /srv/conf
                    target: /conf2
                    bind: { create_host_path: true, propagation: rprivate }
                  - type: tmpfs
                    target: /scratch
                    tmpfs: { size: 1048576 }
                networks:
                  back: { aliases: [api], ipv4_address: 10.230.0.10 }
                healthcheck: { test: ["CMD", "true"], interval: 5s, timeout: 2s, retries: 4, start_period: 1s }
                deploy: { resources: { limits: { cpus: "0.5", memory: 64M, pids: 100 } } }
                restart: unless-stopped
                user: "1000"
                working_dir: /app
                hostname: all
                stop_signal: SIGINT
                stop_grace_period: 20s
                init: true
                read_only: true
                cap_add: [NET_ADMIN]
                cap_drop: [MKNOD]
                privileged: true
                extra_hosts: ["db:10.0.0.2"]
                dns: [1.1.1.1]
                sysctls: { net.core.somaxconn: "1024" }
                ulimits: { nofile: { soft: 1024, hard: 2048 } }
                logging: { driver: json-file, options: { max-size: 10m } }
                tmpfs: [/run]
                shm_size: 64m
                devices: ["/dev/null:/dev/null0"]
                security_opt: ["no-new-privileges:true"]
                stdin_open: true
                tty: true
                memswap_limit: 128m
                mem_reservation: 32m
                cpu_shares: 512
                group_add: [audio]
                dns_search: [example.org]
                dns_opt: [ndots:2]
                runtime: runc
                platform: linux/amd64
                secrets: [token]
                configs: [settings]
            networks:
              back: { ipam: { config: [{ subnet: 10.230.0.0/24 }] } }
            volumes:
              data: {}
            secrets:
              token: { file: ./token.txt }
            configs:
              settings: { file: ./settings.txt }
            """;

    public static HostLoadResult Load()
    {
        var stateDirectory = Directory.CreateTempSubdirectory("berth-pin-").FullName;
        try
        {
            return SpecTestRepository.Compose(Compose).With("token.txt", "t0ken").With("settings.txt", "x=1")
                .LoadHost(options: SpecLoadOptions.Default with { FileSources = FixedKeyFileSources(stateDirectory) });
        }
        finally
        {
            Directory.Delete(stateDirectory, recursive: true);
        }
    }

    /// <summary>Secrets and configs are hashed with the host's content key: a fixed one, so their field hashes can be pinned.</summary>
    private static FileSourceOptions FixedKeyFileSources(string stateDirectory)
    {
        File.WriteAllBytes(Path.Combine(stateDirectory, ContentKeyring.KeyFileName), [.. Enumerable.Range(1, 32).Select(value => (byte)value)]);
        return new FileSourceOptions(FileSourceOptions.DefaultHostDirectory, ContentKeyring.LoadOrCreate(stateDirectory));
    }
}
