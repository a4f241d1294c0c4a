"""The background services beside NiFi that scripts/run starts and scripts/stop stops."""
