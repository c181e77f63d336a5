"""Scale-out tests: replicas, Galera, shared state, each on private servers this run starts."""
