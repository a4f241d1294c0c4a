"""Where the results table and the fingerprint index live, for the flow and ./scripts/results alike.

RESULTS_DATABASE_URL when given; otherwise SQLite in the data dir for a standalone NiFi, and in a
cluster the PostgreSQL the scripts start (pipelinectl.services.postgres): the nodes must share one
store, or duplicate detection and catalog matching would see only their own node's files.
"""

from __future__ import annotations

from pipelinectl.settings import Settings


def location(settings: Settings) -> tuple[str, str]:
    """(URL without password, password): the password travels apart from the URL (into the flow's
    sensitive parameter), also when RESULTS_DATABASE_URL still carries one."""
    # Imported here: the service list (uses_started_postgres) runs without the processors' package.
    from audio_pipeline import database, database_credentials

    if not settings.results_database_url and settings.clustered:
        from pipelinectl.services import postgres

        return postgres.database_url(settings), postgres.database_password(settings)
    url, embedded = database_credentials.split_password(
        settings.results_database_url or f"sqlite:///{database.default_sqlite_path(settings.data_dir)}"
    )
    return url, settings.results_database_password or embedded


def uses_started_postgres(settings: Settings) -> bool:
    """True when the scripts start and stop the results database themselves (cluster, no URL given)."""
    return settings.clustered and not settings.results_database_url
