"""./scripts/bench: the pipeline on NiFi measured against the same steps without NiFi."""
