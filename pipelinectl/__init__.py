"""Operations tooling behind ./scripts/*: setup, NiFi runtime, flow deployment, services."""
