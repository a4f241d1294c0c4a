"""What the NiFi UI shows for our processors, as NiFi's own ProcessorInspection reads it from the source.

NiFi builds a Python processor's documentation (description, tags, properties with their allowable
values, use cases) from the source by AST, without running it: values it cannot evaluate as
literals show as nothing. The validators are not in that documentation; they are checked on the
classes themselves.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest
from audio_pipeline import flow_steps
from support.nifi_python import PROCESSOR_PACKAGE_DIR, PROCESSOR_TYPES, REPO_ROOT, processor_inspection

inspection = processor_inspection()
from nifiapi.properties import StandardValidators  # noqa: E402  (needs the mocked JVM set up above)

EXPECTED = set(PROCESSOR_TYPES)
DATABASE_USERS = {"FingerprintAudio", "RecordResult", "RegisterCatalogTrack"}
TIME_PERIOD = re.compile(r"^\d+ (nanos|millis|secs?|mins?|hrs?|hours?|days?)$")  # NiFi's units, as we write them
SENTENCE = re.compile(r"^[A-Za-z][^\n]*[.]$", re.DOTALL)


def _inspected() -> dict[str, tuple[Path, object]]:
    found = {}
    for source in sorted(PROCESSOR_PACKAGE_DIR.glob("*.py")):
        for node in inspection.get_processor_class_nodes(str(source)):
            details = inspection.get_processor_details(node, str(source), str(PROCESSOR_PACKAGE_DIR.parent), False)
            found[details.type] = (source, details)
    return found


INSPECTED = _inspected()


def _processor_class(name: str) -> type:
    source, _ = INSPECTED[name]
    return getattr(importlib.import_module(f"audio_processors.{source.stem}"), name)


def _descriptors(name: str) -> dict[str, object]:
    return {d.name: d for d in _processor_class(name)().getPropertyDescriptors()}


def _is_sentence(text: str | None) -> bool:
    return bool(text) and bool(SENTENCE.match(" ".join(text.split()))) and len(text.split()) >= 4


def test_nifi_finds_every_processor() -> None:
    assert set(INSPECTED) == EXPECTED


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_description_says_what_it_expects_and_writes(name: str) -> None:
    details = INSPECTED[name][1]
    assert details.description.startswith("Expects "), details.description
    assert "audio.error" in details.description or name == "RecordResult"
    assert "success" in details.description
    assert _is_sentence(details.description)
    assert details.tags and "audio" in details.tags
    assert details.version == "0.1.0"


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_property_is_documented_as_at_runtime(name: str) -> None:
    documented = {p.name: p for p in INSPECTED[name][1].property_descriptions}
    runtime = _descriptors(name)
    assert set(documented) == set(runtime)
    for prop_name, descriptor in runtime.items():
        shown = documented[prop_name]
        assert _is_sentence(shown.description), f"{name}.{prop_name}: {shown.description!r}"
        assert shown.description == descriptor.description
        assert shown.default_value == descriptor.defaultValue
        assert shown.required == descriptor.required
        assert shown.sensitive == descriptor.sensitive
        if descriptor.allowableValues is not None:  # declared: NiFi must be able to read them
            assert shown.allowable_values == descriptor.allowableValues != []


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_durations_are_nifi_time_periods(name: str) -> None:
    for prop_name, descriptor in _descriptors(name).items():
        assert "Seconds" not in prop_name
        if prop_name.endswith(("Duration", "Timeout")):
            assert descriptor.validators == [StandardValidators.TIME_PERIOD_VALIDATOR], prop_name
            assert TIME_PERIOD.match(descriptor.defaultValue), descriptor.defaultValue
        else:
            assert StandardValidators.TIME_PERIOD_VALIDATOR not in descriptor.validators, prop_name


def test_duration_defaults_are_the_former_values() -> None:
    """The defaults mean what the former numbers did: behaviour with the defaults is unchanged."""
    defaults = {(n, p): d.defaultValue for n in EXPECTED for p, d in _descriptors(n).items()}
    assert defaults[("ClassifyAudio", "Window Duration")] == "1 sec"  # was Window Seconds 1.0
    assert defaults[("ClassifyAudio", "Hop Duration")] == "1 sec"  # was Hop Seconds 1.0
    assert defaults[("ClassifyAudio", "Request Timeout")] == "10 secs"  # was Request Timeout Seconds 10
    assert defaults[("FingerprintAudio", "Maximum Match Duration")] == "2 mins"  # was 120 (seconds)
    assert defaults[("DecodeAudio", "Maximum Duration")] == "1 hour"


def test_model_server_is_validated_as_host_port() -> None:
    assert _descriptors("ClassifyAudio")["Model Server"].validators == [StandardValidators.HOSTNAME_PORT_LIST_VALIDATOR]


def test_record_result_statuses_are_the_outcome_statuses() -> None:
    assert INSPECTED["RecordResult"][1].property_descriptions
    status = {p.name: p for p in INSPECTED["RecordResult"][1].property_descriptions}["Status"]
    assert status.allowable_values == list(flow_steps.OUTCOME_STATUSES)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_database_password_is_a_sensitive_property(name: str) -> None:
    documented = {p.name: p for p in INSPECTED[name][1].property_descriptions}
    if name in DATABASE_USERS:
        assert documented["Database Password"].sensitive
        assert not documented["Database Password"].required
        assert "password" in documented["Database URL"].description.lower()
    for prop_name, shown in documented.items():
        assert shown.sensitive == ("password" in prop_name.lower()), prop_name


def test_the_database_password_reads_the_same_in_every_database_user() -> None:
    """NiFi reads each processor's descriptors from its own file, so the three copies must agree."""
    shown = [
        vars({p.name: p for p in INSPECTED[name][1].property_descriptions}["Database Password"])
        for name in sorted(DATABASE_USERS)
    ]
    assert shown[0]["description"] and all(p == shown[0] for p in shown), shown


def _quoted_property_names(configuration: str) -> set[str]:
    """Property names a configuration text tells the user to set: `Set "X" to`, `Keep "X" at`, `and "X" to`."""
    return set(re.findall(r'(?:Set|Keep|and) "([^"]+)" (?:to|at|and)\b', configuration))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_use_cases_tell_which_properties_to_set(name: str) -> None:
    details = INSPECTED[name][1]
    assert len(details.use_cases) >= 1
    for case in details.use_cases:
        assert _is_sentence(case.description) and case.keywords and case.configuration
        assert _quoted_property_names(case.configuration) <= set(_descriptors(name))
        assert _quoted_property_names(case.configuration), case.configuration


def test_multi_processor_use_cases_describe_the_two_paths() -> None:
    paths = {
        name: [[c.processor_type for c in case.configurations] for case in INSPECTED[name][1].multi_processor_use_cases]
        for name in EXPECTED
    }
    assert paths["DecodeAudio"] == [
        [
            "ListenHTTP",
            "GetFile",
            "DecodeAudio",
            "ClassifyAudio",
            "FingerprintAudio",
            "ScoreSpeechQuality",
            "RecordResult",
        ]
    ]
    assert paths["RegisterCatalogTrack"] == [["ListFile", "FetchFile", "DecodeAudio", "RegisterCatalogTrack"]]
    for name in EXPECTED:
        for case in INSPECTED[name][1].multi_processor_use_cases:
            assert _is_sentence(case.description) and case.keywords
            for step in case.configurations:
                assert step.configuration
                if step.processor_type in EXPECTED:
                    assert _quoted_property_names(step.configuration) <= set(_descriptors(step.processor_type))


def _requirement_names(lines: list[str]) -> set[str]:
    return {re.split(r"[\[=<>; ]", line.strip())[0].lower().replace("_", "-") for line in lines if line.strip()}


def test_dependencies_are_pinned_and_not_repeated() -> None:
    """NiFi installs requirements.txt plus each type's own dependencies, pinned by processors.txt."""
    requirements = (PROCESSOR_PACKAGE_DIR / "requirements.txt").read_text().splitlines()
    shared = _requirement_names([line for line in requirements if not line.startswith("#")])
    pins = (REPO_ROOT / "requirements" / "processors.txt").read_text().splitlines()
    pinned = _requirement_names([line for line in pins if not line.startswith("#")])
    assert shared == {"numpy", "prometheus-client"}
    for name in EXPECTED:
        own = INSPECTED[name][1].dependencies
        names = _requirement_names(own)
        assert not names & shared, name  # listed once, in requirements.txt
        assert names <= pinned, name
    assert shared <= pinned
    assert "pesq" in INSPECTED["ScoreSpeechQuality"][1].dependencies
    assert {"grpcio", "protobuf"} <= set(INSPECTED["ClassifyAudio"][1].dependencies)
    for name in DATABASE_USERS:
        assert "psycopg[binary]" in INSPECTED[name][1].dependencies
