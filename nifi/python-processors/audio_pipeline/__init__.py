"""Plain, NiFi-free audio analysis modules used by the NiFi Python processors."""
