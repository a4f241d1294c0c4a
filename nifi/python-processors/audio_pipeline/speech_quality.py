"""PESQ (ITU-T P.862 / P.862.2) scoring of a degraded signal against a reference, plus MOS labels.

Why it looks like this:

* The `pesq` package accepts 8 kHz ('nb') and 16 kHz ('nb' or 'wb') only. Audio already at one of
  those rates is scored as is, so a score equals ``pesq.pesq`` run on the files themselves; any
  other rate is resampled once (soxr HQ) to 16 kHz for wide band or 8 kHz for narrow band.
* Mode: 'wb' when both signals are at >= 16 kHz, else 'nb' (a band-limited 8 kHz signal cannot be
  judged wide band). Callers may force 'nb' at any rate; forcing 'wb' below 16 kHz is refused.
* pesq's failures are exceptions of several kinds, and a bad rate/mode is a bare ValueError that
  also prints a usage text; everything is checked first and mapped to `PesqScoringError`.
* The flow carries the degraded signal at 16 kHz (the analysis form). For an input that arrived at
  8 kHz, pass the 16 kHz analysis form with ``mode=choose_mode(original_rate, reference_rate)``
  (i.e. 'nb'): the degraded signal is brought back to 8 kHz (or, with a 16 kHz reference, both are
  scored narrow-band at 16 kHz). The 8k→16k→8k round trip through soxr HQ changed the MOS by less
  than 1e-6 on the generated test pairs, so the original 8 kHz samples need not be kept.
"""

from __future__ import annotations

import functools
import itertools
import math
import re
import unicodedata
import urllib.parse
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import soxr

from audio_pipeline import attributes as attr
from audio_pipeline.errors import AudioPipelineError, InvalidReferenceError, PesqScoringError
from audio_pipeline.worker_pool import WorkerPool

WB_RATE = 16_000
NB_RATE = 8_000
MIN_DURATION_S = 0.25  # pesq's own minimum ("Buffer needs to be at least 1/4 of a second long")
RESAMPLE_QUALITY = "HQ"
CACHED_REFERENCES = 8  # references kept decoded per process (at most ~90 MB: 8 × 1 MB of MP3 decoded)
CACHED_REFERENCE_BYTES = 1 << 20  # larger reference files are decoded for each file scored against them


@dataclass(frozen=True)
class PesqResult:
    """MOS-LQO with the mode and rate it was computed at."""

    mos: float
    mode: str  # 'wb' or 'nb'
    sample_rate: int  # 8000 or 16000


@dataclass(frozen=True)
class QualityThresholds:
    """Lower MOS bounds of the labels; anything below `poor` is 'Bad'.

    Defaults are the MOS values at the ITU-T G.107 (E-model) user-satisfaction boundaries
    R = 80 / 70 / 60 / 50 ("satisfied", "some users dissatisfied", "many users dissatisfied",
    "nearly all users dissatisfied"), from G.107's R→MOS mapping: 4.02, 3.60, 3.10, 2.58.
    """

    excellent: float = 4.02
    good: float = 3.60
    fair: float = 3.10
    poor: float = 2.58

    def __post_init__(self) -> None:
        bounds = (self.excellent, self.good, self.fair, self.poor)
        if not all(1.0 <= b <= 5.0 for b in bounds) or not all(a > b for a, b in itertools.pairwise(bounds)):
            raise ValueError(f"thresholds must be strictly decreasing within 1..5, got {bounds}")

    @classmethod
    def parse(cls, text: str) -> QualityThresholds:
        """From a property value like ``"4.02, 3.6, 3.1, 2.58"`` (excellent, good, fair, poor)."""
        try:
            values = [float(part) for part in text.split(",")]
        except ValueError as exc:
            raise ValueError(f"thresholds must be four comma-separated numbers, got {text!r}") from exc
        if len(values) != 4:
            raise ValueError(f"thresholds must be four comma-separated numbers, got {text!r}")
        return cls(*values)


DEFAULT_THRESHOLDS = QualityThresholds()
LABELS = ("Excellent", "Good", "Fair", "Poor", "Bad")


def quality_label(mos: float, thresholds: QualityThresholds = DEFAULT_THRESHOLDS) -> str:
    """Label for a MOS: the first bound it reaches (>=), else 'Bad'."""
    if not math.isfinite(mos):
        raise ValueError(f"MOS must be a finite number, got {mos}")
    bounds = (thresholds.excellent, thresholds.good, thresholds.fair, thresholds.poor)
    for label, bound in zip(LABELS, bounds, strict=False):
        if mos >= bound:
            return label
    return LABELS[-1]


def choose_mode(degraded_rate: int, reference_rate: int) -> str:
    """'wb' when both signals carry wide-band content (>= 16 kHz), else 'nb'."""
    return "wb" if min(degraded_rate, reference_rate) >= WB_RATE else "nb"


def scoring_rate(mode: str, degraded_rate: int, reference_rate: int) -> int:
    """Rate pesq runs at: 16 kHz for 'wb'; for 'nb' a shared 8/16 kHz rate as is, else 8 kHz."""
    if mode == "wb":
        return WB_RATE
    if degraded_rate == reference_rate and degraded_rate in (NB_RATE, WB_RATE):
        return degraded_rate
    return NB_RATE


def score(
    degraded: np.ndarray,
    degraded_rate: int,
    reference: np.ndarray,
    reference_rate: int,
    mode: str | None = None,
) -> PesqResult:
    """PESQ MOS-LQO of `degraded` against `reference` (mono arrays at their own rates).

    `mode` None picks 'wb' when both rates are >= 16 kHz, else 'nb'; pass 'nb' explicitly when the
    degraded signal was upsampled from a narrow-band original (see the module notes).
    """
    import pesq  # deferred: a compiled extension that only this step needs

    if mode is None:
        mode = choose_mode(degraded_rate, reference_rate)
    if mode not in ("wb", "nb"):
        raise PesqScoringError(f"PESQ mode must be 'wb' or 'nb', got {mode!r}")
    if mode == "wb" and min(degraded_rate, reference_rate) < WB_RATE:
        raise PesqScoringError(
            f"wide-band PESQ needs both signals at >= 16 kHz; got degraded {degraded_rate} Hz, "
            f"reference {reference_rate} Hz (use mode 'nb')"
        )
    rate = scoring_rate(mode, degraded_rate, reference_rate)
    deg = _prepare(degraded, degraded_rate, rate, "degraded")
    ref = _prepare(reference, reference_rate, rate, "reference")
    try:
        mos = float(pesq.pesq(rate, ref, deg, mode))
    except pesq.NoUtterancesError as exc:
        raise PesqScoringError(
            "PESQ found no speech (no utterances detected) in the reference or degraded signal"
        ) from exc
    except pesq.BufferTooShortError as exc:
        raise PesqScoringError(f"signal too short for PESQ (minimum {MIN_DURATION_S} s)") from exc
    except pesq.PesqError as exc:
        raise PesqScoringError(f"PESQ failed: {type(exc).__name__}: {exc}") from exc
    except ValueError as exc:
        raise PesqScoringError(f"PESQ refused the rate/mode ({rate} Hz, {mode}): {exc}") from exc
    if not math.isfinite(mos):
        raise PesqScoringError(f"PESQ returned a non-finite score ({mos})")
    return PesqResult(mos=mos, mode=mode, sample_rate=rate)


def load_reference(path: Path, *, max_duration_s: float = 600.0) -> tuple[np.ndarray, int]:
    """Decode a reference file at its own rate; failures become `InvalidReferenceError`.

    A broken reference is a configuration problem, not a fault of the FlowFile being scored, so it
    gets the reference's error code rather than the decoder's. Many files share one reference: a
    reference of up to `CACHED_REFERENCE_BYTES` is decoded once per version of the file (path,
    modification time and size) and kept, read-only, for the next ones.
    """
    try:
        found = Path(path).stat()
    except OSError as exc:
        raise InvalidReferenceError(f"reference {Path(path).name!r} cannot be read: {exc.strerror}") from exc
    if found.st_size <= CACHED_REFERENCE_BYTES:
        return _cached_reference(str(path), found.st_mtime_ns, found.st_size, max_duration_s)
    return _decode_reference(Path(path), max_duration_s)


@functools.lru_cache(maxsize=CACHED_REFERENCES)
def _cached_reference(path: str, _mtime_ns: int, _size: int, max_duration_s: float) -> tuple[np.ndarray, int]:
    samples, rate = _decode_reference(Path(path), max_duration_s)
    samples.flags.writeable = False  # shared by every file scored against it
    return samples, rate


def _decode_reference(path: Path, max_duration_s: float) -> tuple[np.ndarray, int]:
    from audio_pipeline.decoding import decode  # deferred: keeps this module light for label/path use

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InvalidReferenceError(f"reference {path.name!r} cannot be read: {exc.strerror}") from exc
    try:
        decoded = decode(data, target_rate=None, max_duration_s=max_duration_s)
    except AudioPipelineError as exc:
        raise InvalidReferenceError(f"reference {path.name!r} is not usable audio ({exc.code}): {exc}") from exc
    return decoded.samples, decoded.sample_rate


@dataclass(frozen=True)
class SpeechQuality:
    """The speech-quality step's outcome: the score, the reference it was scored against, its label."""

    mos: float
    mode: str
    reference_filename: str
    label: str

    @classmethod
    def of(
        cls, result: PesqResult, reference_name: str, thresholds: QualityThresholds = DEFAULT_THRESHOLDS
    ) -> SpeechQuality:
        return cls(result.mos, result.mode, reference_name, quality_label(result.mos, thresholds))

    def to_attributes(self) -> dict[str, str]:
        """Attribute values for a scored FlowFile, keyed by the shared attribute names."""
        return {
            attr.PESQ_MOS: f"{self.mos:.3f}",
            attr.PESQ_MODE: self.mode,
            attr.REFERENCE_FILENAME: self.reference_filename,
            attr.QUALITY_LABEL: self.label,
        }


def _prepare(x: np.ndarray, rate: int, target: int, what: str) -> np.ndarray:
    """Validate, downmix and (only if needed) resample one signal."""
    a = np.asarray(x)
    if a.ndim == 2:
        a = a.mean(axis=1)
    if a.ndim != 1:
        raise PesqScoringError(f"{what} signal must be 1-D (mono), got shape {np.shape(x)}")
    if rate <= 0:
        raise PesqScoringError(f"{what} sample rate must be positive, got {rate}")
    if a.shape[0] < MIN_DURATION_S * rate:
        raise PesqScoringError(
            f"{what} signal is {a.shape[0] / rate:.3f} s long; PESQ needs at least {MIN_DURATION_S} s"
        )
    if not np.isfinite(a).all():
        raise PesqScoringError(f"{what} signal contains NaN or infinite samples")
    if not np.any(a):
        raise PesqScoringError(f"{what} signal is digital silence; PESQ has nothing to compare")
    if rate != target:
        a = soxr.resample(a.astype(np.float32, copy=False), rate, target, quality=RESAMPLE_QUALITY)
    return a


# --------------------------------------------------------------------------------------------------
# Reference resolution
# --------------------------------------------------------------------------------------------------

_MAX_NAME_BYTES = 255
_FORBIDDEN_CHARS = frozenset("/\\:")
_PERCENT_ESCAPE = re.compile(r"%[0-9A-Fa-f]{2}")


def validate_reference_name(name: str) -> str:
    """Return `name` if it is a plain file name; raise `InvalidReferenceError` if it is path-like.

    Refused: empty/blank, '.'/'..' or any '..', a leading '.', '/', '\\', ':' (drive letters),
    control or line-separator characters, over 255 UTF-8 bytes, and any of these hidden behind
    percent-encoding (decoded repeatedly) or Unicode compatibility forms (NFKC).
    """
    if not isinstance(name, str):
        raise InvalidReferenceError(f"reference name must be a string, got {type(name).__name__}")
    forms = [name]
    decoded = name
    for _ in range(3):  # double/triple encoding (%252e%252e%252f) unwraps within a few rounds
        if not _PERCENT_ESCAPE.search(decoded):
            break
        decoded = urllib.parse.unquote(decoded, errors="replace")
        forms.append(decoded)
    forms += [unicodedata.normalize("NFKC", form) for form in list(forms)]
    for form in forms:
        problem = _name_problem(form)
        if problem is not None:
            raise InvalidReferenceError(f"reference name {name!r} refused: {problem}")
    return name


def _name_problem(name: str) -> str | None:
    if not name.strip():
        return "empty"
    if len(name.encode("utf-8", "surrogatepass")) > _MAX_NAME_BYTES:
        return f"longer than {_MAX_NAME_BYTES} bytes"
    if any(c in _FORBIDDEN_CHARS for c in name):
        return "contains a path separator or drive letter"
    if ".." in name:
        return "contains '..'"
    if name.startswith("."):
        return "starts with '.' (hidden or relative name)"
    for c in name:
        if unicodedata.category(c) in ("Cc", "Cs", "Zl", "Zp"):
            return "contains a control character"
    return None


def resolve_reference(name: str | None, references_dir: Path, *, input_filename: str | None = None) -> Path | None:
    """Path of the reference file inside `references_dir`, or None if there is no such file.

    `name` None (no reference given) falls back to `input_filename`: a reference with the same name
    as the input. The name must be a bare file name (see `validate_reference_name`); the resolved
    path must stay inside `references_dir` even after following symlinks.
    """
    chosen = input_filename if name is None else name
    if chosen is None:
        return None
    validate_reference_name(chosen)
    base = Path(references_dir).resolve()
    candidate = base / chosen
    try:
        resolved = candidate.resolve()
    except (OSError, RuntimeError):  # symlink loop or unreadable
        return None
    if not resolved.is_relative_to(base):
        raise InvalidReferenceError(f"reference {chosen!r} resolves outside the references directory")
    if not resolved.is_file():
        return None
    return resolved


class ScoringPool(WorkerPool):
    """`score` in worker processes (worker_pool.WorkerPool): the pesq extension holds the GIL, so one
    Python process scores on one core at most."""

    def score(self, *args: Any, **kwargs: Any) -> PesqResult:
        """`score(*args, **kwargs)` in a worker; its errors arrive as raised there."""
        return self.call(score, *args, **kwargs)
