"""The processors' side of NiFi's py4j bridge: cheaper content reads and attribute reads.

Nothing about audio here. Every call a processor makes on a FlowFile is a round trip over py4j's
local socket to the JVM, so what crosses, and how often, decides much of a processor's cost
(docs/benchmark.md, "Findings"). NiFi also loads this file on its own as a sibling module of the
processors; it defines no processor and imports nothing but py4j, so that is harmless.
"""

from __future__ import annotations

import binascii
from collections.abc import Iterator, Mapping
from typing import Any


def decode_java_bytes(encoded: str, _gateway_client: Any = None) -> bytes:
    """A byte[] answer from the JVM (base64 text on the wire) as bytes, decoded in C."""
    return binascii.a2b_base64(encoded)


def use_fast_content_transfer() -> None:
    """Register `decode_java_bytes` as py4j's converter for byte[] answers (getContentsAsBytes()).

    The py4j that NiFi 2.3.0 ships (0.10.9.9) builds the result of every byte[] answer from a Python
    list of one int per byte: 60-160 ms per 640 KB of content here and 8 bytes of transient list per
    content byte, which is what made a 1-hour file need gigabytes in a Python worker. The converter
    table is py4j's own extension point (`register_output_converter`); ours returns the same bytes
    as immutable `bytes` instead of a `bytearray`, which the processors only read. Idempotent.
    """
    from py4j import protocol

    protocol.register_output_converter(protocol.BYTES_TYPE, decode_java_bytes)


def keep_restarts_working(jvm: Any) -> None:
    """Have py4j find classes through its own class loader, so that NiFi can bring a processor back
    after its Python process died.

    NiFi 2.3.0 notices a dead Python process on the JDK's process-reaper thread, which has no context
    class loader, and re-creates the processors on a thread that inherits none. py4j's default
    strategy looks classes up through the current thread's context class loader, so the new
    process's processor adapter fails as "Invalid interface name: ...PythonProcessorAdapter" on every
    attempt, and every file that reaches the processor fails from then on. py4j's root strategy asks
    the loader of py4j's own classes, which sees NiFi's lib/ (the Python API) as the context loaders
    of NiFi's other threads do. The setting is JVM-wide; setting it again changes nothing. `jvm` is
    what NiFi passes a processor's constructor; None (outside NiFi) does nothing.
    """
    if jvm is None:
        return
    reflection = jvm.py4j.reflection
    reflection.ReflectionUtil.setClassLoadingStrategy(reflection.RootClassLoadingStrategy())


def prepare_bridge(jvm: Any) -> None:
    """What every processor's constructor does with the bridge: the cheap content reads and working
    restarts (`jvm` as NiFi passes it, None outside NiFi)."""
    use_fast_content_transfer()
    keep_restarts_working(jvm)


class FlowFileAttributes(Mapping[str, str]):
    """A FlowFile's attributes fetched one at a time, when a step asks for them.

    `dict(flowfile.getAttributes())` costs about two round trips per attribute (a FlowFile here has
    30 or more); a step that reads three attributes needs three this way. Iterating (or `len`)
    fetches the whole map once, so the Mapping stays complete for steps that need everything.
    """

    def __init__(self, flowfile: Any) -> None:
        self._flowfile = flowfile
        self._fetched: dict[str, str | None] = {}
        self._all: dict[str, str] | None = None

    def __getitem__(self, key: str) -> str:
        if self._all is not None:
            return self._all[key]
        if key not in self._fetched:
            self._fetched[key] = self._flowfile.getAttribute(key)
        value = self._fetched[key]
        if value is None:
            raise KeyError(key)
        return value

    def _everything(self) -> dict[str, str]:
        if self._all is None:
            self._all = dict(self._flowfile.getAttributes())
        return self._all

    def __iter__(self) -> Iterator[str]:
        return iter(self._everything())

    def __len__(self) -> int:
        return len(self._everything())
