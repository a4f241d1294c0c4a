"""Sound classifier: synthetic dataset, training, export for TF Serving, and a gRPC stand-in server."""
