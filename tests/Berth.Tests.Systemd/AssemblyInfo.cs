// One systemd container at a time: the machines have two cores, and every test boots a whole Debian.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
