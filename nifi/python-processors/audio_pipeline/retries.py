"""Which attempt at a file this is, and why the previous one failed: for the retry metric.

NiFi retries a FlowFile that a processor sent to a retried relationship by putting the FlowFile back,
as it arrived, with the attribute ``retryCount.<processor id>`` counting the retries so far; every
attribute the failed attempt set is dropped, and NiFi removes the counter once the FlowFile leaves.
So the reason of the failure that caused a retry is known only to the process that failed: the
ledger remembers it by FlowFile uuid until the retry arrives. A retry the ledger knows nothing
about followed an attempt that never reached this process (it had died or was restarting):
`PROCESSOR_UNAVAILABLE`.
"""

from __future__ import annotations

import threading
from collections import OrderedDict

from audio_pipeline.errors import PROCESSOR_UNAVAILABLE

RETRY_ATTRIBUTE_PREFIX = "retryCount."  # NiFi's own name (StandardProcessSession), then the processor id
MAX_REMEMBERED = 10_000  # failures awaiting their retry; the oldest are forgotten first


def retry_attribute(processor_id: str) -> str:
    """The attribute in which NiFi counts the retries of a FlowFile at the processor `processor_id`."""
    return RETRY_ATTRIBUTE_PREFIX + processor_id


def retries_so_far(value: str | None) -> int:
    """The retry counter's value as NiFi reads it: absent or unreadable is 0."""
    try:
        return max(0, int(value)) if value is not None else 0
    except ValueError:
        return 0


class RetryLedger:
    """Reasons of the transient failures of one processor, until NiFi brings each file back."""

    def __init__(self, capacity: int = MAX_REMEMBERED) -> None:
        self.capacity = capacity
        self._reasons: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()  # concurrent tasks share the process

    def failed(self, uuid: str, reason: str) -> None:
        """The attempt at FlowFile `uuid` failed with the reason code `reason`, and NiFi may retry it."""
        with self._lock:
            self._reasons[uuid] = reason
            self._reasons.move_to_end(uuid)
            while len(self._reasons) > self.capacity:
                self._reasons.popitem(last=False)

    def retried(self, uuid: str) -> str:
        """FlowFile `uuid` is back for a retry: the reason its previous attempt failed with."""
        with self._lock:
            return self._reasons.pop(uuid, PROCESSOR_UNAVAILABLE)
