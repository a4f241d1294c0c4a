"""Reason codes: one error class per code, one registry, and no code anywhere in the processors outside it."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path

import pytest
from audio_pipeline import errors
from audio_pipeline.errors import ERROR_TYPES, INTERNAL_ERROR, PROCESSOR_UNAVAILABLE, REASON_CODES, AudioPipelineError

PROCESSORS_DIR = Path(__file__).resolve().parents[3] / "nifi" / "python-processors"


def _codes_in_source(tree: ast.AST) -> set[str]:
    """String values given to `code`: class attributes (`code = "..."`) and keywords (`code="..."`)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Assign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(isinstance(t, ast.Name) and t.id == "code" for t in targets):
                if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                    found.add(node.value.value)
        elif isinstance(node, ast.keyword) and node.arg == "code":
            if isinstance(node.value, ast.Constant) and isinstance(node.value.value, str):
                found.add(node.value.value)
    return found


def test_every_code_under_the_processors_is_registered() -> None:
    sources = sorted(PROCESSORS_DIR.rglob("*.py"))
    assert any(p.name == "errors.py" for p in sources)
    found = {code: path for path in sources for code in _codes_in_source(ast.parse(path.read_text()))}
    assert found, "the scan finds the codes of errors.py at least"
    unregistered = {
        code: str(path.relative_to(PROCESSORS_DIR)) for code, path in found.items() if code not in REASON_CODES
    }
    assert not unregistered


def test_codes_are_unique_one_class_each() -> None:
    codes = [t.code for t in ERROR_TYPES]
    assert len(codes) == len(set(codes))
    assert INTERNAL_ERROR not in codes and PROCESSOR_UNAVAILABLE not in codes  # constants: nothing raises them
    assert set(REASON_CODES) == {*codes, INTERNAL_ERROR, PROCESSOR_UNAVAILABLE}


def test_every_error_class_in_errors_is_in_the_registry() -> None:
    defined = {obj for obj in vars(errors).values() if inspect.isclass(obj) and issubclass(obj, AudioPipelineError)}
    assert defined == set(ERROR_TYPES)


def test_meanings_are_one_line_each() -> None:
    for code, meaning in REASON_CODES.items():
        assert meaning and "\n" not in meaning and meaning.endswith("."), code


@pytest.mark.parametrize(
    ("code", "where"),
    [
        ("decoder_unavailable", "decoding"),
        ("decode_timeout", "decoding"),
        ("serving_message_too_large", "classification"),
        ("internal_error", "outcome.failure_attributes and the NiFi flow"),
        ("database_error", "database"),
        ("chromaprint_error", "chromaprint"),
        ("landmark_error", "landmarks"),
    ],
)
def test_codes_that_used_to_live_elsewhere_are_registered(code: str, where: str) -> None:
    assert code in REASON_CODES, where


def test_error_classes_stay_importable_where_callers_import_them() -> None:
    from audio_pipeline import chromaprint, database, landmarks

    assert database.DatabaseError is errors.DatabaseError
    assert chromaprint.ChromaprintError is errors.ChromaprintError
    assert landmarks.LandmarkError is errors.LandmarkError


def test_message_too_large_is_a_rejected_request() -> None:
    error = errors.ServingMessageTooLargeError("too big")
    assert isinstance(error, errors.ServingRequestError)
    assert error.code == "serving_message_too_large" and error.detail == "too big"


def test_unexpected_exceptions_get_internal_error() -> None:
    from audio_pipeline import attributes as attr
    from audio_pipeline.outcome import failure_attributes

    assert failure_attributes(KeyError("x"))[attr.ERROR] == INTERNAL_ERROR == "internal_error"
    assert failure_attributes(errors.TooLongError("long")) == {attr.ERROR: "too_long", attr.ERROR_DETAIL: "long"}


def test_only_faults_of_the_environment_are_retried() -> None:
    """The audio's own faults are quarantined at once; a missing tool, the database, the model server
    and anything unexpected are not about the file, so NiFi retries them."""
    assert errors.RETRIED_CODES == {
        "decoder_unavailable",
        "serving_unavailable",
        "database_error",
        INTERNAL_ERROR,
        PROCESSOR_UNAVAILABLE,
    }
    assert errors.is_about_the_audio(errors.CorruptAudioError("cut"))
    assert not errors.is_about_the_audio(errors.DatabaseError("down"))
    assert not errors.is_about_the_audio(KeyError("bug"))
