"""FlowFile attribute names, and the words of the two with fixed values (audio.source, audio.status): the one
place every processor, test, store and sink takes them from."""

FILENAME = "filename"
SOURCE = "audio.source"  # one of SOURCES
SOURCES = ("folder", "http", "catalog")  # the inbox, HTTP ingest, a file from catalog/
REFERENCE = "audio.reference"  # bare name of the PESQ reference file (from the `reference` HTTP header)
INGESTED_AT = "audio.ingested.at"  # epoch milliseconds when the file entered the flow

FORMAT = "audio.format"
ORIGINAL_SAMPLE_RATE = "audio.original.sample.rate"
ORIGINAL_CHANNELS = "audio.original.channels"
DURATION_SECONDS = "audio.duration.seconds"
SAMPLE_RATE = "audio.sample.rate"
CHANNELS = "audio.channels"
SHA256 = "audio.sha256"
DECODER = "audio.decoder"  # "libsndfile" or "ffmpeg": the decoder that read the file
DECODER_FALLBACK = "audio.decoder.fallback"  # why libsndfile refused a file ffmpeg then decoded ("" if not)
PEAK_DBFS = "audio.peak.dbfs"
RMS_DBFS = "audio.rms.dbfs"
SILENCE_RATIO = "audio.silence.ratio"
CLIPPING_RATIO = "audio.clipping.ratio"
BANDWIDTH_HZ = "audio.bandwidth.hz"  # highest frequency with meaningful energy in the audio as received
PHASE_CORRELATION = "audio.phase.correlation"  # −1…+1 between the first two channels
DOWNMIX_LOSS_DB = "audio.mono.downmix.loss.db"  # how far the mono downmix is below the channels
MONO_COMPATIBLE = "audio.mono.compatible"  # "true" / "false"
ANALYSIS_SOURCE = "audio.analysis.source"  # "downmix" or "channel N": what the analysis form was made from
OUT_OF_BAND = "audio.out.of.band"  # "tone"/"noise" when all content lies above the analysis band, else ""


# Loudness of the audio as received (ITU-R BS.1770-4 / EBU R128), and its compliance with a profile.
LOUDNESS_INTEGRATED_LUFS = "audio.loudness.integrated.lufs"
LOUDNESS_RANGE_LU = "audio.loudness.range.lu"
LOUDNESS_MOMENTARY_MAX_LUFS = "audio.loudness.momentary.max.lufs"
LOUDNESS_SHORT_TERM_MAX_LUFS = "audio.loudness.short.term.max.lufs"
LOUDNESS_TRUE_PEAK_DBTP = "audio.loudness.true.peak.dbtp"
LOUDNESS_PROFILE = "audio.loudness.profile"  # one of LOUDNESS_PROFILES (figures in loudness_profiles)
LOUDNESS_PROFILES = ("ebu-r128", "atsc-a85", "streaming-14", "custom")
LOUDNESS_COMPLIANT = "audio.loudness.compliant"  # "true" / "false"
LOUDNESS_GAIN_DB = "audio.loudness.gain.db"  # the gain that brings the file to the profile's target


def channel_true_peak_dbtp(number: int) -> str:
    """True peak of channel `number` (1-based) as received."""
    return f"audio.channel.{number}.true.peak.dbtp"


def channel_peak_dbfs(number: int) -> str:
    """Peak of channel `number` (1-based) as received."""
    return f"audio.channel.{number}.peak.dbfs"


def channel_rms_dbfs(number: int) -> str:
    """RMS of channel `number` (1-based) as received."""
    return f"audio.channel.{number}.rms.dbfs"


# Speech-to-text (TranscribeSpeech). Absent when a file was not transcribed (not speech); a transcribed
# file without words has an empty transcript and "[]" segments.
TRANSCRIPT = "audio.transcript"  # the words, segments joined by spaces
TRANSCRIPT_LANGUAGE = "audio.transcript.language"  # ISO 639-1 code the model identified (or was told)
TRANSCRIPT_LANGUAGE_PROBABILITY = "audio.transcript.language.probability"  # 0…1; 1 when configured
TRANSCRIPT_SEGMENTS = "audio.transcript.segments"  # JSON: [{"start", "end", "text", "no_speech_prob"}], seconds
TRANSCRIPT_WORDS = "audio.transcript.words"  # number of words in the transcript
TRANSCRIPT_SPEECH_SECONDS = "audio.transcript.speech.seconds"  # seconds of the file the segments cover
TRANSCRIPT_MODEL = "audio.transcript.model"  # catalog name of the model, e.g. whisper-base
TRANSCRIPT_MODEL_VERSION = "audio.transcript.model.version"  # the model package's pinned version


PESQ_MOS = "audio.pesq.mos"
PESQ_MODE = "audio.pesq.mode"
REFERENCE_FILENAME = "audio.reference.filename"
QUALITY_LABEL = "audio.quality.label"

FINGERPRINT_CHROMAPRINT = "audio.fingerprint.chromaprint"
DUPLICATE_OF = "audio.duplicate.of"
FINGERPRINT_MATCH = "audio.fingerprint.match"
FINGERPRINT_SCORE = "audio.fingerprint.score"
FINGERPRINT_OFFSET_SECONDS = "audio.fingerprint.offset.seconds"

CLASS = "audio.class"
CLASS_CONFIDENCE = "audio.class.confidence"
CLASS_SCORES = "audio.class.scores"
CLASS_SEGMENTS = "audio.class.segments"
CLASS_BASIS = "audio.class.basis"  # one of CLASS_BASES: who named the class
CLASS_BASES = ("model", "received spectrum")  # the served model, or the out-of-band rule (see received_signal)
MODEL_NAME = "audio.model.name"
MODEL_VERSION = "audio.model.version"
RETRY_REASON = "audio.retry.reason"  # why the file is waiting on the retry route (empty once classified)

CATALOG_TRACK_ID = "audio.catalog.track.id"  # set when a catalog/ file was registered
CATALOG_HASHES = "audio.catalog.hashes"

STATUS = "audio.status"  # one of STATUSES, as recorded in the results table and counted in the metrics
STATUSES = ("ok", "quarantined")
OUTPUT_NAME = "audio.output.name"  # file-system-safe unique name for results/quarantine files (set by the flow)

ERROR = "audio.error"  # machine-readable reason code (see errors.py)
ERROR_DETAIL = "audio.error.detail"  # human-readable explanation
RETRIES = "audio.retries"  # retries NiFi made before a failure not about the audio went to quarantine
