// These tests start sshd, git daemon and gpg: they run on Linux (the platform berth hosts run on).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
