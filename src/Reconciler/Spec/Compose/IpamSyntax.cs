using System.Collections.Immutable;
using System.Net;
using System.Net.Sockets;
using Berth.Reconciler.Spec.Model;
using Berth.Reconciler.Spec.Yaml;

namespace Berth.Reconciler.Spec.Compose;

/// <summary>
/// A network's `ipam:` and a service's fixed `ipv4_address` / `ipv6_address`, checked as the engine
/// would check them at create, so that a mistake is an error at its line rather than a failed deploy.
/// </summary>
internal static class IpamSyntax
{
    public static NetworkIpam? Read(NodeReader reader, Node node, string path)
    {
        if (reader.Mapping(node, path) is not { } mapping)
        {
            return null;
        }

        var draft = new IpamDraft();
        IpamFields.Apply(reader, mapping, (reader, draft), path);
        return draft.Invalid ? null : new NetworkIpam(draft.Driver, [.. draft.Pools], draft.Options.ToImmutableSortedDictionary(StringComparer.Ordinal));
    }

    /// <summary>An address of <paramref name="family"/>; null (and an error) otherwise.</summary>
    public static Located<IPAddress>? Address(NodeReader reader, Node node, string path, AddressFamily family)
    {
        if (reader.Scalar(node, path) is not { } scalar)
        {
            return null;
        }

        if (IPAddress.TryParse(scalar.Value, out var address) && address.AddressFamily == family && !scalar.Value.Contains('/', StringComparison.Ordinal))
        {
            return new Located<IPAddress>(address, node.Start);
        }

        reader.Error(node, $"{path}: {scalar.Describe()} is not an {(family == AddressFamily.InterNetwork ? "IPv4" : "IPv6")} address");
        return null;
    }

    /// <summary>A subnet in CIDR form (`172.28.0.0/16`, `fd00:28::/64`) as the network that contains it.</summary>
    public static bool TryParseSubnet(string text, out IPNetwork network)
    {
        network = default;
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        if (slash < 0 || !IPAddress.TryParse(text[..slash], out var address)
            || !int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var prefix)
            || prefix > (address.AddressFamily == AddressFamily.InterNetwork ? 32 : 128))
        {
            return false;
        }

        // The engine accepts host bits in a subnet (172.28.5.1/24 is 172.28.5.0/24); mask them off.
        var bytes = address.GetAddressBytes();
        for (var bit = prefix; bit < bytes.Length * 8; bit++)
        {
            bytes[bit / 8] &= (byte)~(0x80 >> (bit % 8));
        }

        network = new IPNetwork(new IPAddress(bytes), prefix);
        return true;
    }

    private sealed class IpamDraft
    {
        public string? Driver { get; set; }

        public List<IpamPool> Pools { get; } = [];

        public Dictionary<string, string> Options { get; } = new(StringComparer.Ordinal);

        public bool Invalid { get; set; }
    }

    private static readonly FieldTable<(NodeReader Reader, IpamDraft Draft)> IpamFields =
        new FieldTable<(NodeReader Reader, IpamDraft Draft)>()
            .Field("driver", (target, node, path) => target.Draft.Driver = target.Reader.String(node, path))
            .Field("config", ReadPools)
            .Field("options", (target, node, path) =>
            {
                foreach (var (key, value) in target.Reader.KeyValues(node, path) ?? [])
                {
                    target.Draft.Options[key.Value] = value?.Value ?? "";
                }
            });

    private static void ReadPools((NodeReader Reader, IpamDraft Draft) target, Node node, string path)
    {
        var reader = target.Reader;
        if (reader.Sequence(node, path) is not { } items)
        {
            return;
        }

        for (var index = 0; index < items.Items.Length; index++)
        {
            var itemPath = $"{path}[{index}]";
            if (reader.Mapping(items.Items[index], itemPath) is not { } mapping)
            {
                target.Draft.Invalid = true;
                continue;
            }

            if (ReadPool(reader, mapping, itemPath) is { } pool)
            {
                target.Draft.Pools.Add(pool);
            }
            else
            {
                target.Draft.Invalid = true;
            }
        }
    }

    private sealed class PoolDraft
    {
        public ScalarNode? Subnet { get; set; }

        public ScalarNode? IpRange { get; set; }

        public ScalarNode? Gateway { get; set; }

        public List<(ScalarNode Key, ScalarNode? Value)> AuxAddresses { get; } = [];
    }

    private static readonly FieldTable<(NodeReader Reader, PoolDraft Pool)> PoolFields =
        new FieldTable<(NodeReader Reader, PoolDraft Pool)>()
            .Field("subnet", (target, node, path) => target.Pool.Subnet = target.Reader.Scalar(node, path))
            .Field("ip_range", (target, node, path) => target.Pool.IpRange = target.Reader.Scalar(node, path))
            .Field("gateway", (target, node, path) => target.Pool.Gateway = target.Reader.Scalar(node, path))
            .Field("aux_addresses", (target, node, path) => target.Pool.AuxAddresses.AddRange(target.Reader.KeyValues(node, path) ?? []));

    /// <summary>A pool whose range, gateway and reserved addresses lie in its subnet (the engine refuses them otherwise).</summary>
    private static IpamPool? ReadPool(NodeReader reader, MappingNode mapping, string path)
    {
        var pool = new PoolDraft();
        var errorsBefore = reader.Errors.Count;
        PoolFields.Apply(reader, mapping, (reader, pool), path);
        if (pool.Subnet is not { } subnetNode)
        {
            if (mapping.Get("subnet") is null)
            {
                reader.Error(mapping, $"{path}: needs 'subnet' (CIDR, e.g. 172.28.0.0/16)");
            }

            return null;
        }

        if (!TryParseSubnet(subnetNode.Value, out var subnet))
        {
            reader.Error(subnetNode, $"{path}.subnet: {subnetNode.Describe()} is not a subnet in CIDR form (e.g. 172.28.0.0/16 or fd00:28::/64)");
            return null;
        }

        if (pool.IpRange is { } rangeNode)
        {
            if (!TryParseSubnet(rangeNode.Value, out var range))
            {
                reader.Error(rangeNode, $"{path}.ip_range: {rangeNode.Describe()} is not a range in CIDR form");
            }
            else if (!subnet.Contains(range.BaseAddress) || range.PrefixLength < subnet.PrefixLength)
            {
                reader.Error(rangeNode, $"{path}.ip_range: {rangeNode.Describe()} is not inside subnet {subnetNode.Value}");
            }
        }

        CheckInside(reader, pool.Gateway, subnet, subnetNode.Value, $"{path}.gateway");
        foreach (var (key, value) in pool.AuxAddresses)
        {
            CheckInside(reader, value ?? key, subnet, subnetNode.Value, $"{path}.aux_addresses.{key.Value}");
        }

        if (reader.Errors.Count > errorsBefore)
        {
            return null;
        }

        return new IpamPool(
            subnetNode.Value,
            pool.IpRange?.Value,
            pool.Gateway?.Value,
            pool.AuxAddresses.ToImmutableSortedDictionary(entry => entry.Key.Value, entry => entry.Value?.Value ?? "", StringComparer.Ordinal));
    }

    private static void CheckInside(NodeReader reader, ScalarNode? node, IPNetwork subnet, string subnetText, string path)
    {
        if (node is null)
        {
            return;
        }

        if (!IPAddress.TryParse(node.Value, out var address) || node.Value.Contains('/', StringComparison.Ordinal))
        {
            reader.Error(node, $"{path}: {node.Describe()} is not an IP address");
        }
        else if (!subnet.Contains(address))
        {
            reader.Error(node, $"{path}: {node.Describe()} is not inside subnet {subnetText}");
        }
    }
}
