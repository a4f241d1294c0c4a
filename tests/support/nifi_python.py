"""NiFi 2.3.0's Python framework and API from our assembly, for tests of the NiFi Python processors.

Importing `nifiapi.properties` needs `JvmHolder.jvm`/`.gateway` (NiFi sets them to its py4j
gateway); like NiFi's own framework tests, `use_mocked_jvm` sets mocks before any processor module
is imported.
"""

from __future__ import annotations

import sys
from types import ModuleType
from typing import Any
from unittest.mock import MagicMock

from pipelinectl.nifi import assembly
from pipelinectl.settings import REPO_ROOT

PYTHON_DIR = assembly.assembly_dir() / "python"
FRAMEWORK_DIR = PYTHON_DIR / "framework"  # ExtensionManager.py, ProcessorInspection.py, ...
API_DIR = PYTHON_DIR / "api"  # nifiapi
PROCESSORS_DIR = REPO_ROOT / "nifi" / "python-processors"
PROCESSOR_PACKAGE_DIR = PROCESSORS_DIR / "audio_processors"
PROCESSOR_TYPES = (  # every processor type of audio_processors, as NiFi lists it
    "ClassifyAudio",
    "DecodeAudio",
    "FingerprintAudio",
    "RecordResult",
    "RegisterCatalogTrack",
    "ScoreSpeechQuality",
    "TranscribeSpeech",
)


def use_mocked_jvm() -> None:
    """Make `nifiapi` importable in this process, its JVM handles mocks (idempotent)."""
    if not (API_DIR / "nifiapi").is_dir():
        raise RuntimeError(f"NiFi's Python API is missing in {API_DIR}: run ./scripts/test (it assembles NiFi)")
    if str(API_DIR) not in sys.path:
        sys.path.append(str(API_DIR))
    from nifiapi.__jvm__ import JvmHolder

    if JvmHolder.jvm is None:
        JvmHolder.jvm = MagicMock(name="jvm")
        JvmHolder.gateway = MagicMock(name="gateway")


def processor_inspection() -> ModuleType:
    """NiFi's own ProcessorInspection: what NiFi reads from a processor's source (by AST, without
    running it) for the processor's documentation in the UI."""
    use_mocked_jvm()
    if str(FRAMEWORK_DIR) not in sys.path:
        sys.path.append(str(FRAMEWORK_DIR))  # appended: its bundled py4j must not shadow the venv's
    import ProcessorInspection

    return ProcessorInspection


# -- fakes of what NiFi hands a processor ----------------------------------------------------------

_MILLIS_PER_UNIT = {
    "millis": 1,
    "milli": 1,
    "ms": 1,
    "sec": 1000,
    "secs": 1000,
    "second": 1000,
    "seconds": 1000,
    "min": 60_000,
    "mins": 60_000,
    "minute": 60_000,
    "minutes": 60_000,
    "hr": 3_600_000,
    "hrs": 3_600_000,
    "hour": 3_600_000,
    "hours": 3_600_000,
}
_JAVA_UNIT_MILLIS = {"MILLISECONDS": 1, "SECONDS": 1000, "MINUTES": 60_000, "HOURS": 3_600_000}


class FakePropertyValue:
    """nifiapi's PythonPropertyValue for a literal value; asTimePeriod as NiFi's FormatUtils for the
    units we use (the real one asks the JVM)."""

    def __init__(self, value: str | None) -> None:
        self.value = value

    def getValue(self) -> str | None:
        return self.value

    def asInteger(self) -> int | None:
        return None if self.value is None else int(self.value)

    def asTimePeriod(self, unit: Any) -> int:
        amount, name = self.value.split()
        return int(amount) * _MILLIS_PER_UNIT[name.lower()] // _JAVA_UNIT_MILLIS[unit.name]


class FakeContext:
    """A ProcessContext / ValidationContext with the given property values (defaults filled in)
    that counts property reads: each one is py4j round trips in NiFi."""

    def __init__(self, processor: Any, values: dict[str, str | None]) -> None:
        defaults = {d.name: d.defaultValue for d in processor.getPropertyDescriptors()}
        unknown = set(values) - set(defaults)
        if unknown:
            raise KeyError(f"no such properties: {unknown}")
        self.values = defaults | values
        self.reads = 0

    def getProperty(self, descriptor: Any) -> FakePropertyValue:
        self.reads += 1
        return FakePropertyValue(self.values[descriptor if isinstance(descriptor, str) else descriptor.name])


class FakeFlowFile:
    """The FlowFile proxy a transform gets: content and attributes."""

    def __init__(self, content: bytes = b"", attributes: dict[str, str] | None = None) -> None:
        self.content = content
        self.attributes = {"filename": "clip.wav", "uuid": "0000-uuid"} | (attributes or {})

    def getContentsAsBytes(self) -> bytes:
        return self.content

    def getAttribute(self, name: str) -> str | None:
        return self.attributes.get(name)

    def getAttributes(self) -> dict[str, str]:
        return dict(self.attributes)


class FakeLogger:
    """NiFi's ComponentLog (what PythonProcessorAdapter.initialize sets as `processor.logger`)."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.warnings: list[str] = []

    def error(self, message: str, *args: object) -> None:
        self.errors.append(message)

    def warn(self, message: str, *args: object) -> None:
        self.warnings.append(message)

    def info(self, message: str, *args: object) -> None:
        pass

    def debug(self, message: str, *args: object) -> None:
        pass


def transform_without_reading_properties(processor: Any, context: FakeContext, flowfile: Any) -> Any:
    """Transform `flowfile` twice; assert that no property was read (they are read once, in onScheduled)."""
    reads = context.reads
    results = [processor.transform(context, flowfile) for _ in range(2)]
    assert context.reads == reads, "a property was read per file"
    assert results[0].relationship == results[1].relationship
    return results[0]


def fails_with(result: Any, code: str) -> bool:
    """The file failed with `code`, on the route its kind of reason takes: a fault of the audio goes to
    invalid (quarantined at once), anything else to failure (which NiFi retries)."""
    from audio_pipeline.errors import RETRIED_CODES

    route = "failure" if code in RETRIED_CODES else "invalid"
    return result.relationship == route and result.attributes["audio.error"] == code
