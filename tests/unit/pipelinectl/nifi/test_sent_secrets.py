"""The record of sensitive values sent to NiFi: a value is new until recorded, the same value is not
sent again, a changed one is, contexts are apart, and the file holds no value and is private."""

from __future__ import annotations

from pathlib import Path

from pipelinectl.nifi.sent_secrets import SentSecrets


def test_a_value_is_sent_again_only_when_it_changed(tmp_path: Path) -> None:
    record = SentSecrets(tmp_path / "state" / "sent.json")
    assert record.changed("ctx", {"password": "s3cret"}) == {"password": "s3cret"}
    record.record("ctx", {"password": "s3cret"})
    assert record.changed("ctx", {"password": "s3cret"}) == {}
    assert record.changed("ctx", {"password": "other"}) == {"password": "other"}
    assert record.changed("another-ctx", {"password": "s3cret"}) == {"password": "s3cret"}
    assert SentSecrets(record.path).changed("ctx", {"password": "s3cret"}) == {}, "kept across runs"


def test_the_record_keeps_no_value_and_only_its_owner_reads_it(tmp_path: Path) -> None:
    record = SentSecrets(tmp_path / "sent.json")
    record.record("ctx", {"password": "s3cret"})
    assert "s3cret" not in record.path.read_text()
    assert record.path.stat().st_mode & 0o777 == 0o600
