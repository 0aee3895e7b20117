using System.Text.RegularExpressions;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// Reads one service mapping of one Compose file into a <see cref="ServiceDraft"/>: every supported
/// field in its short and long forms; everything else is reported (see <see cref="FieldTable{TTarget}"/>).
/// `deploy`, `healthcheck` and `x-berth` live in <see cref="DeployReader"/>.
/// </summary>
internal static partial class ServiceReader
{
    public static void Read(ComposeReadContext context, MappingNode service, ServiceDraft draft, string path)
    {
        // `build:` is reported at its key by the table; remembered so "has no image" is not a second error for it.
        draft.ImageOrBuildWritten |= service.Get("build") is not null;
        Fields.Apply(context.Reader, service, new ServiceTarget(context, draft), path);
    }

    private static readonly FieldTable<ServiceTarget> Fields = new FieldTable<ServiceTarget>()
        .Field("image", (target, node, path) =>
        {
            target.Draft.ImageOrBuildWritten = true;
            if (target.Reader.Scalar(node, path) is { } image)
            {
                if (image.Value.Trim().Length == 0 || image.Value.Any(char.IsWhiteSpace))
                {
                    target.Reader.Error(node, $"{path}: invalid image reference {image.Describe()}");
                }
                else
                {
                    target.Draft.Image = new Located<string>(image.Value, node.Start);
                }
            }
        })
        .Field("command", (target, node, path) => target.Draft.Command = ReadCommand(target.Reader, node, path))
        .Field("entrypoint", (target, node, path) => target.Draft.Entrypoint = ReadCommand(target.Reader, node, path))
        .Field("environment", ReadEnvironment)
        .Field("env_file", EnvFileReader.Read)
        .Field("labels", (target, node, path) => LabelReader.Read(target.Reader, node, path, target.Draft.Labels))
        .Field("container_name", (target, node, path) =>
        {
            if (target.Reader.Scalar(node, path) is { } name)
            {
                if (ContainerNamePattern().IsMatch(name.Value))
                {
                    target.Draft.ContainerName = new Located<string>(name.Value, node.Start);
                }
                else
                {
                    target.Reader.Error(node, $"{path}: invalid container name {name.Describe()} (letters, digits, '_', '.', '-'; starting with a letter or digit)");
                }
            }
        })
        .Field("ports", (target, node, path) =>
        {
            foreach (var item in target.Reader.Sequence(node, path)?.Items ?? [])
            {
                PortSyntax.ReadPort(target.Reader, item, path, target.Draft.Ports);
            }
        })
        .Field("expose", (target, node, path) =>
        {
            foreach (var item in target.Reader.StringList(node, path) ?? [])
            {
                PortSyntax.ReadExpose(target.Reader, item, path, target.Draft.Expose);
            }
        })
        .Field("volumes", (target, node, path) =>
        {
            foreach (var item in target.Reader.Sequence(node, path)?.Items ?? [])
            {
                VolumeSyntax.Read(target.Reader, item, path, target.Context.AbsoluteDirectory, target.Draft.Mounts);
            }
        })
        .Field("networks", ReadNetworks)
        .Field("secrets", (target, node, path) => FileObjectReader.ReadReferences(target.Reader, node, path, FileMountKind.Secret, target.Draft.SecretReferences))
        .Field("configs", (target, node, path) => FileObjectReader.ReadReferences(target.Reader, node, path, FileMountKind.Config, target.Draft.ConfigReferences))
        .Field("network_mode", (target, node, path) =>
        {
            if (target.Reader.Scalar(node, path) is { } mode)
            {
                if (mode.Value is "host" or "none" or "bridge" || mode.Value.StartsWith("service:", StringComparison.Ordinal) || mode.Value.StartsWith("container:", StringComparison.Ordinal))
                {
                    target.Draft.NetworkMode = new Located<string>(mode.Value, node.Start);
                }
                else
                {
                    target.Reader.Error(node, $"{path} must be host, none, bridge, service:NAME or container:NAME, not {mode.Describe()}");
                }
            }
        })
        .Field("healthcheck", DeployReader.ReadHealthCheck)
        .Field("restart", (target, node, path) =>
        {
            if (target.Reader.Scalar(node, path) is { } restart)
            {
                if (RestartPattern().IsMatch(restart.Value))
                {
                    target.Draft.Restart = new Located<string>(restart.Value, restart.Start);
                }
                else
                {
                    target.Reader.Error(node, $"{path} must be no, always, on-failure, on-failure:N or unless-stopped, not {restart.Describe()}");
                }
            }
        })
        .Field("deploy", DeployReader.ReadDeploy)
        .Field("depends_on", DependsOnReader.Read)
        .Field("user", (target, node, path) => target.Draft.User = target.Reader.String(node, path))
        .Field("working_dir", (target, node, path) => target.Draft.WorkingDir = target.Reader.String(node, path))
        .Field("hostname", (target, node, path) => target.Draft.Hostname = target.Reader.String(node, path))
        .Field("stop_signal", (target, node, path) => target.Draft.StopSignal = target.Reader.String(node, path))
        .Field("stop_grace_period", (target, node, path) => target.Draft.StopGracePeriod = target.Reader.Duration(node, path))
        .Field("init", (target, node, path) => target.Draft.Init = target.Reader.Bool(node, path))
        .Field("read_only", (target, node, path) => target.Draft.ReadOnly = target.Reader.Bool(node, path))
        .Field("privileged", (target, node, path) =>
        {
            target.Draft.Privileged = target.Reader.Bool(node, path);
            target.Draft.PolicyPositions[Policy.PolicyPositionKeys.Privileged] = node.Start;
        })
        .Field("cap_add", (target, node, path) => AddStrings(target.Reader, node, path, target.Draft.CapAdd, target.Draft.PolicyPositions, Policy.PolicyPositionKeys.Capability))
        .Field("cap_drop", (target, node, path) => AddStrings(target.Reader, node, path, target.Draft.CapDrop))
        .Field("extra_hosts", ReadExtraHosts)
        .Field("dns", (target, node, path) => target.Draft.Dns = target.Reader.StringOrList(node, path)?.Select(item => item.Value).ToList())
        .Field("sysctls", (target, node, path) => ReadMap(target.Reader, node, path, target.Draft.Sysctls, nullValue: null, target.Draft.PolicyPositions))
        .Field("ulimits", ReadUlimits)
        .Field("logging", ReadLogging)
        .Field("tmpfs", (target, node, path) =>
        {
            foreach (var item in target.Reader.StringOrList(node, path) ?? [])
            {
                if (item.Value.StartsWith('/'))
                {
                    target.Draft.Tmpfs.Add(item.Value);
                }
                else
                {
                    target.Reader.Error(item, $"{path}: {item.Describe()} must be an absolute path in the container");
                }
            }
        })
        .Field("shm_size", (target, node, path) => target.Draft.ShmSize = target.Reader.Size(node, path))
        .Field("devices", ReadDevices)
        .Field("security_opt", (target, node, path) => AddStrings(target.Reader, node, path, target.Draft.SecurityOpt, target.Draft.PolicyPositions, Policy.PolicyPositionKeys.SecurityOption))
        .Field("pull_policy", (target, node, path) => target.Draft.PullPolicy = PullPolicySyntax.Read(target.Reader, node, path) ?? target.Draft.PullPolicy)
        .Field("stdin_open", (target, node, path) => target.Draft.StdinOpen = target.Reader.Bool(node, path))
        .Field("tty", (target, node, path) => target.Draft.Tty = target.Reader.Bool(node, path))
        // Service-level twins of deploy.resources (checked against it in StackBuilder, as Compose does).
        .Field("cpus", (target, node, path) => target.Draft.ServiceCpus = Locate(target.Reader.Number(node, path, 0.01, 1024), node))
        .Field("mem_limit", (target, node, path) => target.Draft.ServiceMemLimit = Locate(target.Reader.Size(node, path), node))
        .Field("pids_limit", (target, node, path) => target.Draft.ServicePidsLimit = Locate(target.Reader.Integer(node, path, -1), node))
        .Field("mem_reservation", (target, node, path) => target.Draft.ServiceMemReservation = Locate(target.Reader.Size(node, path), node))
        .Field("memswap_limit", (target, node, path) =>
        {
            // -1 is Docker's "unlimited swap"; anything else is a size.
            var swap = node is ScalarNode { IsNull: false, Value: "-1" } ? -1 : target.Reader.Size(node, path);
            target.Draft.MemswapLimit = Locate(swap, node);
        })
        // 0 is the engine default; the kernel's range ends at 262144.
        .Field("cpu_shares", (target, node, path) => target.Draft.CpuShares = target.Reader.Integer(node, path, 0, 262144))
        .Field("group_add", (target, node, path) => target.Draft.GroupAdd = ReadWords(target.Reader, target.Reader.StringList(node, path), path))
        .Field("dns_search", (target, node, path) => target.Draft.DnsSearch = ReadWords(target.Reader, target.Reader.StringOrList(node, path), path))
        .Field("dns_opt", (target, node, path) => target.Draft.DnsOpt = ReadWords(target.Reader, target.Reader.StringList(node, path), path))
        .Field("runtime", (target, node, path) =>
        {
            if (ReadWords(target.Reader, target.Reader.Scalar(node, path) is { } runtime ? [runtime] : null, path) is [var name])
            {
                target.Draft.Runtime = name;
            }
        })
        .Field("platform", (target, node, path) =>
        {
            if (target.Reader.Scalar(node, path) is { } platform)
            {
                if (PlatformName.Normalize(platform.Value) is { } normalised)
                {
                    target.Draft.Platform = normalised;
                }
                else
                {
                    target.Reader.Error(node, $"{path} must be os/arch or os/arch/variant (e.g. linux/amd64, linux/arm/v7), not {platform.Describe()}");
                }
            }
        })
        .Field("links", (target, node, path) =>
        {
            foreach (var link in target.Reader.StringList(node, path) ?? [])
            {
                var parts = link.Value.Split(':');
                if (parts.Length <= 2 && parts[0].Length > 0 && parts[^1].Length > 0)
                {
                    target.Draft.Links.Add(new Located<(string, string)>((parts[0], parts[^1]), link.Start));
                }
                else
                {
                    target.Reader.Error(link, $"{path}: {link.Describe()} is not SERVICE or SERVICE:ALIAS");
                }
            }
        })
        .Field("profiles", (target, node, path) =>
        {
            foreach (var profile in target.Reader.StringList(node, path) ?? [])
            {
                if (Profiles.IsValidName(profile.Value))
                {
                    target.Draft.Profiles.Add(new Located<string>(profile.Value, profile.Start));
                }
                else
                {
                    target.Reader.Error(profile, $"{path}: invalid profile name {profile.Describe()} (letters, digits, '_', '.', '-', starting with a letter or digit)");
                }
            }
        })
        .Field("x-berth", DeployReader.ReadBerthExtension)
        .Field("extends", IncludeExtendsSyntax.ReadExtends)
        .Unsupported("build", "images come from registries; build and push elsewhere, then set 'image'")
        .Unsupported("pull_refresh_after", "use pull_policy: every_<duration> (e.g. every_12h), daily or weekly: berth then asks the registry on that schedule whether the tag moved")
        .Unsupported("scale", "use deploy.replicas")
        .Unsupported("secrets", "pass host-local values through host env files (see docs/repository-format.md)")
        .Unsupported(
            "annotations", "attach", "blkio_config", "cgroup", "cgroup_parent", "configs", "cpu_count", "cpu_percent",
            "cpu_period", "cpu_quota", "cpu_rt_period", "cpu_rt_runtime", "cpuset", "credential_spec",
            "develop", "device_cgroup_rules", "domainname", "external_links", "gpus",
            "ipc", "isolation", "label_file", "mac_address", "mem_swappiness", "models",
            "oom_kill_disable", "oom_score_adj", "pid", "post_start", "pre_stop", "provider",
            "storage_opt", "use_api_socket", "userns_mode", "uts", "volumes_from");

    private static Located<T>? Locate<T>(T? value, Node node)
        where T : struct => value is { } set ? new Located<T>(set, node.Start) : null;

    /// <summary>Values that are single words (a group, a search domain, a resolver option, a runtime name).</summary>
    private static List<string>? ReadWords(NodeReader reader, List<ScalarNode>? items, string path)
    {
        if (items is null)
        {
            return null;
        }

        foreach (var item in items.Where(item => item.Value.Length == 0 || item.Value.Any(char.IsWhiteSpace)))
        {
            reader.Error(item, $"{path}: {item.Describe()} must be one word, without spaces");
        }

        return [.. items.Select(item => item.Value)];
    }

    /// <summary>A string is shell-split as Compose does; a list is taken as is.</summary>
    private static List<string>? ReadCommand(NodeReader reader, Node node, string path)
    {
        if (node is ScalarNode { IsNull: false } scalar)
        {
            var words = ShellWords.Split(scalar.Value, out var error);
            if (words is null)
            {
                reader.Error(node, $"{path}: {error}");
            }

            return words;
        }

        return reader.StringList(node, path)?.Select(item => item.Value).ToList();
    }

    private static void ReadEnvironment(ServiceTarget target, Node node, string path)
    {
        foreach (var (key, value) in target.Reader.KeyValues(node, path) ?? [])
        {
            // A bare KEY takes the value from the host's variables, as Compose takes it from the shell; else it is dropped.
            target.Draft.Environment[key.Value] = value?.Value
                ?? (target.Context.Variables.TryGet(key.Value, out var variable) ? variable.Value : null);
        }
    }

    /// <param name="positions">Where to remember each key's place for the host policy (sysctls), or null.</param>
    private static void ReadMap(NodeReader reader, Node node, string path, Dictionary<string, string> into, string? nullValue, Dictionary<string, Location>? positions = null)
    {
        foreach (var (key, value) in reader.KeyValues(node, path) ?? [])
        {
            if (value is null && nullValue is null)
            {
                reader.Error(key, $"{path}: '{key.Value}' has no value");
                continue;
            }

            into[key.Value] = value?.Value ?? nullValue!;
            if (positions is not null)
            {
                positions[Policy.PolicyPositionKeys.Sysctl(key.Value)] = key.Start;
            }
        }
    }

    private static void AddStrings(NodeReader reader, Node node, string path, List<string> into) =>
        into.AddRange(reader.StringList(node, path)?.Select(item => item.Value) ?? []);

    /// <summary>As above, remembering each item's place for the host policy under <paramref name="positionKey"/>(value).</summary>
    private static void AddStrings(NodeReader reader, Node node, string path, List<string> into, Dictionary<string, Location> positions, Func<string, string> positionKey)
    {
        foreach (var item in reader.StringList(node, path) ?? [])
        {
            into.Add(item.Value);
            positions[positionKey(item.Value)] = item.Start;
        }
    }

    private static void ReadNetworks(ServiceTarget target, Node node, string path)
    {
        var attachments = new Dictionary<string, NetworkAttachmentDraft>(StringComparer.Ordinal);
        switch (node)
        {
            case SequenceNode sequence:
                foreach (var item in sequence.Items)
                {
                    if (target.Reader.Scalar(item, path + " item") is { } key && !attachments.TryAdd(key.Value, new NetworkAttachmentDraft(key.Value, item.Start)))
                    {
                        target.Reader.Error(item, $"{path}: '{key.Value}' is listed twice");
                    }
                }

                break;
            case MappingNode mapping:
                foreach (var entry in mapping.Entries)
                {
                    var attachment = new NetworkAttachmentDraft(entry.Key.Value, entry.Key.Start);
                    attachments[entry.Key.Value] = attachment;
                    if (target.Reader.MappingOrNull(entry.Value, $"{path}.{entry.Key.Value}") is { } options)
                    {
                        AttachmentFields.Apply(target.Reader, options, (target.Reader, attachment), $"{path}.{entry.Key.Value}");
                    }
                }

                break;
            default:
                target.Reader.Error(node, $"{path} must be a list of network names or a mapping, not {node.KindDescription}");
                return;
        }

        target.Draft.Networks = attachments;
    }

    private static readonly FieldTable<(NodeReader Reader, NetworkAttachmentDraft Attachment)> AttachmentFields =
        new FieldTable<(NodeReader Reader, NetworkAttachmentDraft Attachment)>()
            .Field("aliases", (target, node, path) =>
            {
                foreach (var alias in target.Reader.StringList(node, path) ?? [])
                {
                    target.Attachment.Aliases.Add(alias.Value);
                }
            })
            .Field("ipv4_address", (target, node, path) => target.Attachment.Ipv4Address = IpamSyntax.Address(target.Reader, node, path, System.Net.Sockets.AddressFamily.InterNetwork))
            .Field("ipv6_address", (target, node, path) => target.Attachment.Ipv6Address = IpamSyntax.Address(target.Reader, node, path, System.Net.Sockets.AddressFamily.InterNetworkV6))
            .Unsupported("link_local_ips", "mac_address", "priority", "gw_priority", "driver_opts", "interface_name");

    private static void ReadExtraHosts(ServiceTarget target, Node node, string path)
    {
        if (node is MappingNode mapping)
        {
            foreach (var entry in mapping.Entries)
            {
                foreach (var address in target.Reader.StringOrList(entry.Value, $"{path}.{entry.Key.Value}") ?? [])
                {
                    target.Draft.ExtraHosts.Add($"{entry.Key.Value}:{address.Value}");
                }
            }

            return;
        }

        foreach (var item in target.Reader.StringList(node, path) ?? [])
        {
            // "host=ip" (needed for IPv6) or "host:ip"; normalised to Docker's "host:ip".
            var separator = item.Value.IndexOf('=', StringComparison.Ordinal) is var equals and >= 0 ? equals : item.Value.IndexOf(':', StringComparison.Ordinal);
            if (separator <= 0 || separator == item.Value.Length - 1)
            {
                target.Reader.Error(item, $"{path}: invalid entry {item.Describe()} (expected HOST=ADDRESS or HOST:ADDRESS)");
                continue;
            }

            target.Draft.ExtraHosts.Add($"{item.Value[..separator]}:{item.Value[(separator + 1)..]}");
        }
    }

    private static void ReadUlimits(ServiceTarget target, Node node, string path)
    {
        if (target.Reader.Mapping(node, path) is not { } mapping)
        {
            return;
        }

        foreach (var entry in mapping.Entries)
        {
            var limitPath = $"{path}.{entry.Key.Value}";
            if (entry.Value is ScalarNode)
            {
                if (target.Reader.Integer(entry.Value, limitPath, -1) is { } both)
                {
                    target.Draft.Ulimits[entry.Key.Value] = new UlimitSpec(entry.Key.Value, both, both);
                }

                continue;
            }

            if (target.Reader.Mapping(entry.Value, limitPath) is not { } limits)
            {
                continue;
            }

            var soft = limits.Get("soft") is { } softNode ? target.Reader.Integer(softNode, limitPath + ".soft", -1) : null;
            var hard = limits.Get("hard") is { } hardNode ? target.Reader.Integer(hardNode, limitPath + ".hard", -1) : null;
            foreach (var limitEntry in limits.Entries.Where(limitEntry => limitEntry.Key.Value is not ("soft" or "hard")))
            {
                target.Reader.Error(limitEntry.Key, $"unknown key '{limitEntry.Key.Value}' in {limitPath} (expected soft and hard)");
            }

            if (soft is null || hard is null)
            {
                if (limits.Get("soft") is null || limits.Get("hard") is null)
                {
                    target.Reader.Error(entry.Value, $"{limitPath} needs both 'soft' and 'hard' (or a single number for both)");
                }

                continue;
            }

            if (soft > hard && hard != -1)
            {
                target.Reader.Error(entry.Value, $"{limitPath}: soft limit {soft} is above the hard limit {hard}");
                continue;
            }

            target.Draft.Ulimits[entry.Key.Value] = new UlimitSpec(entry.Key.Value, soft.Value, hard.Value);
        }
    }

    private static void ReadLogging(ServiceTarget target, Node node, string path)
    {
        if (target.Reader.Mapping(node, path) is { } mapping)
        {
            LoggingFields.Apply(target.Reader, mapping, target, path);
        }
    }

    private static readonly FieldTable<ServiceTarget> LoggingFields = new FieldTable<ServiceTarget>()
        .Field("driver", (target, node, path) => target.Draft.LoggingDriver = target.Reader.String(node, path))
        .Field("options", (target, node, path) =>
        {
            target.Draft.LoggingOptions ??= new Dictionary<string, string>(StringComparer.Ordinal);
            ReadMap(target.Reader, node, path, target.Draft.LoggingOptions, nullValue: null);
        });

    private static void ReadDevices(ServiceTarget target, Node node, string path)
    {
        foreach (var item in target.Reader.Sequence(node, path)?.Items ?? [])
        {
            if (item is ScalarNode { IsNull: false } scalar)
            {
                target.Draft.Devices.Add(scalar.Value);
                target.Draft.PolicyPositions[Policy.PolicyPositionKeys.Device(scalar.Value)] = item.Start;
                continue;
            }

            if (target.Reader.Mapping(item, path + " item") is not { } mapping)
            {
                continue;
            }

            // Long form {source, target, permissions}: normalised to the short "source:target:permissions".
            var source = mapping.Get("source") is { } sourceNode ? target.Reader.String(sourceNode, path + ".source") : null;
            var deviceTarget = mapping.Get("target") is { } targetNode ? target.Reader.String(targetNode, path + ".target") : null;
            var permissions = mapping.Get("permissions") is { } permissionsNode ? target.Reader.String(permissionsNode, path + ".permissions") : null;
            foreach (var entry in mapping.Entries.Where(entry => entry.Key.Value is not ("source" or "target" or "permissions")))
            {
                target.Reader.Error(entry.Key, $"unknown key '{entry.Key.Value}' in {path} (expected source, target, permissions)");
            }

            if (source is null)
            {
                target.Reader.Error(item, $"{path}: a device needs 'source'");
                continue;
            }

            var device = string.Join(':', new[] { source, deviceTarget ?? source, permissions ?? "rwm" });
            target.Draft.Devices.Add(device);
            target.Draft.PolicyPositions[Policy.PolicyPositionKeys.Device(device)] = item.Start;
        }
    }

    [GeneratedRegex(@"^(no|always|unless-stopped|on-failure(:[0-9]+)?)$")]
    private static partial Regex RestartPattern();

    [GeneratedRegex(@"^[a-zA-Z0-9][a-zA-Z0-9_.\-]*$")]
    private static partial Regex ContainerNamePattern();
}
