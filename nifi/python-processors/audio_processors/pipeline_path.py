"""Puts the folder that holds `audio_pipeline` (and this package) on sys.path, for the processors.

NiFi imports each processor file by path, as a top-level module named by its file stem, and the
Java side starts every Python process with PYTHONPATH overwritten (framework and API folders
only), so nothing outside NiFi can put our folders on the path. What NiFi does guarantee
(`ExtensionManager.__load_extension_module`, 2.3.0): before it loads a processor module of a
package, it loads every other module of that package that defines no processor, this one
included, and retries those whose import failed until the others are loaded. NiFi 2.11 loads
every sibling first, with the same retries. So this module runs before any processor module of
`audio_processors`, and the processors import `audio_pipeline` and `audio_processors.*` with no
path code of their own (tests/unit/audio_processors/test_nifi_loading.py loads them NiFi's way).

It imports nothing but the standard library, so its own load never fails.
"""

from __future__ import annotations

import sys
from pathlib import Path

PROCESSORS_ROOT = str(Path(__file__).resolve().parents[1])  # nifi/python-processors

if PROCESSORS_ROOT not in sys.path:
    sys.path.insert(0, PROCESSORS_ROOT)
