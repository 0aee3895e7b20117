// One daemon at a time: the machines have two cores, and the watchdog tests measure timing.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
