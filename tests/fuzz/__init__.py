"""Fuzzing of format sniffing and decoding: the atheris harness (`decode_target`) and its seeds (`seeds`)."""
