// One fault scenario at a time: each kills and restarts berth dozens of times against the real engine
// on two cores, and parallel scenarios would turn health-gate timing into the thing under test.
[assembly: CollectionBehavior(DisableTestParallelization = true)]

// The suite sends real signals and reads /proc: it runs on Linux (the platform berth hosts run on).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
