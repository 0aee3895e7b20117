namespace Berth.Tests.Infrastructure;

/// <summary>Images built locally by scripts/build-test-images.sh (no registry is reachable).</summary>
public static class TestImages
{
    /// <summary>Static busybox with httpd, wget, nc, sleep; /www/version holds "1".</summary>
    public const string BusyboxV1 = "berth-test/busybox:1";

    /// <summary>The same, with /www/version holding "2": a different image id for "image changed".</summary>
    public const string BusyboxV2 = "berth-test/busybox:2";
}
