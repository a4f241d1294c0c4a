"""NiFi itself: assembly from Maven Central, one instance per data dir, security, REST client, flows."""
