"""The work of each NiFi processor as one plain function: content and attributes in and out.

Processors stay thin (read properties, call a step, route); the steps are what the unit tests and
the plain-Python benchmark baseline call, so NiFi and the baseline run exactly the same code.

What only one step needs is imported inside that step: each processor's Python environment then
needs (and loads) only its own step's libraries. RecordResult, which reads no content, loads
neither soundfile nor soxr; the steps that read the analysis form need only numpy for it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from audio_pipeline import analysis_wav
from audio_pipeline import attributes as attr
from audio_pipeline.errors import InvalidReferenceError, ServingUnavailableError

if TYPE_CHECKING:
    from audio_pipeline.classification import ServingClient, Windowing
    from audio_pipeline.fingerprint_index import FingerprintIndex
    from audio_pipeline.loudness_profiles import LoudnessProfile
    from audio_pipeline.results_store import ResultsStore
    from audio_pipeline.speech_quality import QualityThresholds, ScoringPool
    from audio_pipeline.transcription.pool import TranscriptionPool

SUCCESS = "success"
NO_REFERENCE = "no reference"
NOT_TRANSCRIBED = "not transcribed"
TRANSCRIBE_SCOPES = ("speech files", "all files", "no files")  # TranscribeSpeech's Transcribe property
RETRY = "retry"
INVALID = "invalid"  # the audio is at fault (a typed error about the file): quarantined without retries


@dataclass(frozen=True)
class StepResult:
    attributes: dict[str, str]
    content: bytes | None = None  # None: the FlowFile content stays as it is
    route: str = SUCCESS


def decode(
    data: bytes,
    *,
    target_rate: int,
    max_duration_s: float,
    filename: str | None = None,
    loudness_profile: LoudnessProfile | None = None,
) -> StepResult:
    """Received bytes -> analysis-form WAV content plus format, level and loudness attributes.

    Levels, phase, bandwidth and loudness are those of the audio as received (`received_signal`); the
    analysis form's own levels only decide whether its band lost everything (`audio.out.of.band`).
    The loudness is assessed against `loudness_profile` (default EBU R 128: `loudness_profiles`).
    `filename` names headerless telephony formats by their extension. Input that already is the
    analysis form keeps its bytes (content None): no rewrite to send back.
    """
    from audio_pipeline import decoding, loudness_profiles, received_signal

    decoded = decoding.decode(data, target_rate=target_rate, max_duration_s=max_duration_s, filename=filename)
    out_of_band = received_signal.out_of_band_content(decoded.received, decoded.samples, decoded.sample_rate)
    if analysis_wav.is_analysis_form(data, decoded):
        content = None
    else:
        content = analysis_wav.to_wav_bytes(decoded.samples, decoded.sample_rate)
    compliance = (loudness_profile or loudness_profiles.DEFAULT).assess(decoded.received.loudness)
    found = decoded.to_attributes() | {attr.OUT_OF_BAND: out_of_band} | compliance.to_attributes()
    return StepResult(attributes=found, content=content)


def find_reference(attributes: Mapping[str, str], references_dir: Path) -> Path | None:
    """The PESQ reference of a file: the one named by `audio.reference` (refused if path-like), else
    the file in `references_dir` with the input's own name; None when there is none."""
    from audio_pipeline import speech_quality

    explicit = attributes.get(attr.REFERENCE) or None
    try:
        return speech_quality.resolve_reference(explicit, references_dir, input_filename=attributes.get(attr.FILENAME))
    except InvalidReferenceError:
        if explicit is not None:
            raise
        return None  # the input's own name is not a usable file name: there is no default reference


def score_speech_quality(
    content: bytes,
    attributes: Mapping[str, str],
    *,
    reference: Path,
    mode: str | None = None,
    thresholds: QualityThresholds | None = None,
    pool: ScoringPool | None = None,
) -> StepResult:
    """PESQ of the analysis-form content against `reference` (see `find_reference`).

    The mode follows the original rate (`nb` below 16 kHz), so 8 kHz input is scored narrow-band at
    8 kHz as the pesq package would score it. With `pool` (worker processes), the PESQ computation
    runs in its worker processes (`speech_quality.ScoringPool`).
    """
    from audio_pipeline import speech_quality

    reference_samples, reference_rate = speech_quality.load_reference(reference)
    degraded, rate = analysis_wav.read_analysis_wav(content)
    original_rate = int(attributes.get(attr.ORIGINAL_SAMPLE_RATE) or rate)
    chosen = mode or speech_quality.choose_mode(original_rate, reference_rate)
    if pool is None:
        result = speech_quality.score(degraded, rate, reference_samples, reference_rate, mode=chosen)
    else:
        result = pool.score(degraded, rate, reference_samples, reference_rate, mode=chosen)
    quality = speech_quality.SpeechQuality.of(result, reference.name, thresholds or speech_quality.DEFAULT_THRESHOLDS)
    return StepResult(attributes=quality.to_attributes())


def fingerprint(
    content: bytes, attributes: Mapping[str, str], *, index: FingerprintIndex, max_match_seconds: float = 120.0
) -> StepResult:
    """Chromaprint identity and duplicate check, plus landmark match against the catalog.

    Files are remembered under `audio.output.name` (unique per FlowFile, stable on re-delivery), so
    `audio.duplicate.of` names the earlier file's result. The catalog match looks at the first
    `max_match_seconds` only: enough for excerpts, bounded for hour-long files.
    """
    from audio_pipeline import chromaprint
    from audio_pipeline.fingerprint_index import FingerprintOutcome

    # both look at the start only: convert no more of the content than that
    samples, rate = analysis_wav.read_analysis_wav(content, max(chromaprint.DEFAULT_MAX_SECONDS, max_match_seconds))
    identity = chromaprint.fingerprint(samples, rate)
    name = attributes.get(attr.OUTPUT_NAME) or attributes.get(attr.FILENAME, "")
    duplicate_of = index.check_duplicate(identity.encoded, attributes.get(attr.SHA256, ""), name)
    match = index.match(samples[: int(max_match_seconds * rate)], rate)
    return StepResult(attributes=FingerprintOutcome(identity.encoded, duplicate_of, match).to_attributes())


def catalog_track_id(filename: str) -> str:
    """A catalog track's id is its file name without the extension."""
    return Path(filename).stem if "." in filename.lstrip(".") else filename


def register_catalog_track(content: bytes, attributes: Mapping[str, str], *, index: FingerprintIndex) -> StepResult:
    """Add (or replace) a file from catalog/ in the landmark index."""
    from audio_pipeline.fingerprint_index import CatalogRegistration

    samples, rate = analysis_wav.read_analysis_wav(content)
    track_id = catalog_track_id(attributes.get(attr.FILENAME, ""))
    hashes = index.register_track(track_id, samples, rate)
    return StepResult(attributes=CatalogRegistration(track_id, hashes).to_attributes())


OUTCOME_STATUSES = attr.STATUSES


def record_outcome(
    attributes: Mapping[str, str], status: str, *, store: ResultsStore, results_dir: Path | None = None
) -> StepResult:
    """The file's results row, subtitles and metrics counts; the last step of both paths.

    A quarantined file's row keeps its reason as `code: detail` (the store builds it from the
    attributes), so the table answers "why" without the quarantine folder. With `results_dir`, a
    transcribed file's subtitles go there beside its JSON (`<audio.output.name>.vtt` and `.srt`).
    The row and the files are rewritten alike when NiFi retries the file; the metrics count it last,
    once everything else is done, so a retry after a failed write counts it once.
    """
    from audio_pipeline import metrics

    row = store.record(attributes, status)
    segments = attributes.get(attr.TRANSCRIPT_SEGMENTS)
    stem = attributes.get(attr.OUTPUT_NAME)
    if results_dir is not None and segments is not None and stem:
        from audio_pipeline.transcription import subtitles

        subtitles.write_beside_result(results_dir, stem, segments)
    metrics.record_result(attributes, status)
    return StepResult(attributes=row.to_attributes())


def classify(
    content: bytes, attributes: Mapping[str, str] | None = None, *, client: ServingClient, windowing: Windowing
) -> StepResult:
    """Class of the whole file from TF Serving (over gRPC), aggregated from per-window predictions.

    A file whose content lies all above the analysis band (`audio.out.of.band` set by the decoder)
    is named from the received spectrum instead: the model, fed the analysis form, would hear silence.
    While the model server is unreachable or overloaded the file takes the `retry` route with the
    reason, so the flow can hold it and try again later; nothing is failed or lost.
    """
    from audio_pipeline import classification

    out_of_band = (attributes or {}).get(attr.OUT_OF_BAND, "")
    if out_of_band:
        duration = float((attributes or {}).get(attr.DURATION_SECONDS) or 0.0)
        found = classification.out_of_band_attributes(out_of_band, duration)
        return StepResult(attributes=found | classification.RetryReason().to_attributes())
    samples, rate = analysis_wav.read_analysis_wav(content)
    try:
        result = classification.classify(samples, client, sample_rate=rate, windowing=windowing)
    except ServingUnavailableError as error:
        return StepResult(attributes=classification.RetryReason.of(error).to_attributes(), route=RETRY)
    return StepResult(attributes=result.to_attributes() | classification.RetryReason().to_attributes())


def wants_transcript(attributes: Mapping[str, str], *, scope: str, max_seconds: float) -> bool:
    """Whether a file is transcribed, decided from its attributes alone: by scope (one of
    TRANSCRIBE_SCOPES: those the classifier labelled speech, every file, or none, which turns the stage
    off without editing the flow). A file longer than `max_seconds` fails with a reason instead of
    occupying a worker for hours."""
    from audio_pipeline.errors import TooLongToTranscribeError

    speech, every, _none = TRANSCRIBE_SCOPES
    if not (scope == every or (scope == speech and attributes.get(attr.CLASS) == "speech")):
        return False
    duration = float(attributes.get(attr.DURATION_SECONDS) or 0.0)
    if duration > max_seconds:
        raise TooLongToTranscribeError(
            f"the file lasts {duration:.0f} s, more than the {max_seconds:.0f} s TranscribeSpeech transcribes "
            "(its Maximum Duration property)"
        )
    return True


def transcribe(
    content: bytes, attributes: Mapping[str, str], *, pool: TranscriptionPool, scope: str, max_seconds: float
) -> StepResult:
    """Transcript, language and segments of a file (`not transcribed` route for others; see wants_transcript)."""
    if not wants_transcript(attributes, scope=scope, max_seconds=max_seconds):
        return StepResult(attributes={}, route=NOT_TRANSCRIBED)
    return StepResult(attributes=pool.transcribe(content).to_attributes())
