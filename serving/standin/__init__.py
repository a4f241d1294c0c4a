"""A TF Serving stand-in: the real gRPC API and Prometheus endpoint, served from SavedModels in Python."""
