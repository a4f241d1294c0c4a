"""Helpers shared by the tests: generated audio, a throwaway PostgreSQL, a private pipeline instance, test data."""
