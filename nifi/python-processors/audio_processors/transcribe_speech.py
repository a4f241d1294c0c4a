"""TranscribeSpeech: NiFi adapter over audio_pipeline.flow_steps.transcribe (Whisper, in worker processes)."""

from pathlib import Path

from audio_pipeline import flow_steps, metrics
from audio_pipeline.transcription import model_files
from audio_pipeline.transcription.transcriber import TranscriptionSettings
from nifiapi.documentation import use_case
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.processor_support import (
    INVALID_AUDIO,
    begin_attempt,
    failure,
    invalid,
    mark_scheduled,
    must_be_positive,
    seconds,
)
from audio_processors.py4j_bridge import FlowFileAttributes, prepare_bridge

AUTO_LANGUAGE = "auto"


STAGE = "transcription"  # this processor's label in the stage and retry metrics


@use_case(
    description="Transcribe speech recordings offline with a packaged Whisper model: the words, the language, and "
    "time-coded segments for subtitles and search.",
    keywords=["audio", "speech", "transcription", "speech-to-text", "whisper", "subtitles", "language"],
    configuration="""
        Set "Models Directory" to the folder setup assembles the packaged models in, and "Model" to one of them
            (whisper-base: multilingual; whisper-tiny.en: English only, faster).
        Keep "Transcribe" at "speech files" so that only files ClassifyAudio labelled speech are transcribed; the
            others leave through 'not transcribed' without their content being read. "no files" turns the stage off.
        Set "Worker Processes" and the processor's Concurrent Tasks to the same number, at most the cores to spare.
        Connect 'success' and 'not transcribed' to the next step, and 'invalid' and 'failure' to the quarantine
            path, with 'failure' set to retry; auto-terminate 'original'.
        """,
)
class TranscribeSpeech(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Expects the 16 kHz mono 16-bit WAV that DecodeAudio writes, with audio.duration.seconds and audio.class "
            "from ClassifyAudio. Transcribes it with a Whisper model in CTranslate2 form (faster-whisper, int8 on "
            "the CPU) in its own worker processes: a voice-activity detector finds the speech, only speech reaches "
            "the model, long files go in pieces cut at pauses, and segments the model rates as probably not speech "
            "or that lie on near-silence are dropped, so non-speech gets no words. Sets audio.transcript, "
            "audio.transcript.language and audio.transcript.language.probability, audio.transcript.segments (JSON: "
            "start and end in seconds, text, no_speech_prob), audio.transcript.words, "
            "audio.transcript.speech.seconds, audio.transcript.model and audio.transcript.model.version, and routes "
            "to success; the content is left as it is. Files that are not speech (or all files, when Transcribe is "
            "no files) leave through not transcribed, unread. A file longer than Maximum Duration goes to invalid "
            "with audio.error=too_long_to_transcribe; an unexpected error to failure, which NiFi retries, with "
            "audio.error=internal_error and audio.retries, logged as an error bulletin. A missing or corrupted "
            "model stops the processor from starting, with the reason."
        )
        tags = ["audio", "speech", "transcription", "speech-to-text", "whisper", "ctranslate2"]
        dependencies = ["soxr", "faster-whisper"]

    MODELS_DIR = PropertyDescriptor(
        name="Models Directory",
        description="The folder holding one directory per packaged model, as setup assembles them from the wheels "
        "pinned in serving/transcription_models.toml, each with a manifest.json of its files' sha256.",
        required=True,
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    MODEL = PropertyDescriptor(
        name="Model",
        description="The name of the model directory in Models Directory: whisper-base (multilingual, with language "
        "identification) or whisper-tiny.en (English only, about twice as fast), or any other model the catalog "
        "adds. Its files are checked against their sha256 when the processor starts.",
        required=True,
        default_value="whisper-base",
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    TRANSCRIBE = PropertyDescriptor(
        name="Transcribe",
        description="Which files to transcribe. speech files: those ClassifyAudio labelled speech (audio.class); "
        "all files: every file, whatever its class; no files: none (the stage is off, every file passes through "
        "not transcribed).",
        required=True,
        default_value="speech files",
        allowable_values=["speech files", "all files", "no files"],
    )
    LANGUAGE = PropertyDescriptor(
        name="Language",
        description="The spoken language as an ISO 639-1 code (en, de, fr, …), or auto to identify it from the "
        "first minutes of each file. An English-only model always transcribes English.",
        required=True,
        default_value="auto",
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    BEAM_SIZE = PropertyDescriptor(
        name="Beam Size",
        description="The number of hypotheses the decoder keeps (1 is greedy decoding). 5 is Whisper's own "
        "setting; a smaller beam is faster and a little less accurate.",
        required=True,
        default_value="5",
        validators=[StandardValidators.POSITIVE_INTEGER_VALIDATOR],
    )
    MAX_PIECE = PropertyDescriptor(
        name="Maximum Piece Duration",
        description="The longest stretch of a file handed to the model at once; longer files are cut at pauses "
        "into pieces no longer than this. The model's working memory grows with it (about 80 MB per minute).",
        required=True,
        default_value="3 mins",
        validators=[StandardValidators.TIME_PERIOD_VALIDATOR],
    )
    MAX_DURATION = PropertyDescriptor(
        name="Maximum Duration",
        description="The longest file transcribed; a longer one goes to invalid with "
        "audio.error=too_long_to_transcribe instead of occupying a worker for hours.",
        required=True,
        default_value="3 hours",
        validators=[StandardValidators.TIME_PERIOD_VALIDATOR],
    )
    WORKERS = PropertyDescriptor(
        name="Worker Processes",
        description="The number of processes that run the model, each with its own copy (about 400 MB for "
        "whisper-base) on one core; 0 runs it in the processor's own process. Give the processor as many "
        "Concurrent Tasks as worker processes.",
        required=True,
        default_value="1",
        validators=[StandardValidators.NON_NEGATIVE_INTEGER_VALIDATOR],
    )
    SUCCESS = Relationship("success", "Transcribed: audio.transcript and its language, segments and model are set.")
    NOT_TRANSCRIBED = Relationship(
        flow_steps.NOT_TRANSCRIBED,
        "Not transcribed (not speech by audio.class, or Transcribe excludes it): content unread.",
    )

    def __init__(self, **kwargs):
        super().__init__()
        prepare_bridge(kwargs.get("jvm"))
        self.pool = None

    def getPropertyDescriptors(self):
        return [
            self.MODELS_DIR,
            self.MODEL,
            self.TRANSCRIBE,
            self.LANGUAGE,
            self.BEAM_SIZE,
            self.MAX_PIECE,
            self.MAX_DURATION,
            self.WORKERS,
        ]

    def getRelationships(self):
        return [self.SUCCESS, self.NOT_TRANSCRIBED, INVALID_AUDIO]

    def _model_dir(self, context) -> Path:
        return Path(context.getProperty(self.MODELS_DIR).getValue()) / context.getProperty(self.MODEL).getValue()

    def customValidate(self, context):
        problems = must_be_positive(context, self.MAX_PIECE) + must_be_positive(context, self.MAX_DURATION)
        try:
            model_files.read_manifest(self._model_dir(context))  # cheap; the files' hashes are checked at start
        except model_files.ModelFilesError as error:
            problems.append(invalid(self.MODEL, context.getProperty(self.MODEL).getValue(), str(error)))
        language = context.getProperty(self.LANGUAGE).getValue()
        if language != AUTO_LANGUAGE:
            from faster_whisper.tokenizer import _LANGUAGE_CODES

            if language not in _LANGUAGE_CODES:
                problems.append(invalid(self.LANGUAGE, language, "must be auto or one of Whisper's language codes"))
        return problems

    def onScheduled(self, context):
        from audio_pipeline.transcription.pool import TranscriptionPool

        metrics.configure(type(self).__name__)
        language = context.getProperty(self.LANGUAGE).getValue()
        settings = TranscriptionSettings(
            language=None if language == AUTO_LANGUAGE else language,
            beam_size=context.getProperty(self.BEAM_SIZE).asInteger(),
            max_piece_seconds=seconds(context, self.MAX_PIECE),
        )
        self.scope = context.getProperty(self.TRANSCRIBE).getValue()
        self.max_seconds = seconds(context, self.MAX_DURATION)
        # Verifies every model file's sha256 (≈ 0.2 s for base): a corrupted model fails the start, not files.
        self.pool = TranscriptionPool(self._model_dir(context), settings, context.getProperty(self.WORKERS).asInteger())
        mark_scheduled(self)

    def onStopped(self, context):
        if self.pool is not None:
            self.pool.close()
            self.pool = None
        metrics.flush()

    def transform(self, context, flowfile):
        begin_attempt(self, context, flowfile, STAGE)
        attributes = FlowFileAttributes(flowfile)
        try:
            wanted = flow_steps.wants_transcript(attributes, scope=self.scope, max_seconds=self.max_seconds)
            if not wanted:  # decided from attributes alone: the content is never read
                return FlowFileTransformResult(flow_steps.NOT_TRANSCRIBED)
            with metrics.time_stage(STAGE):
                result = flow_steps.transcribe(
                    flowfile.getContentsAsBytes(),
                    attributes,
                    pool=self.pool,
                    scope=self.scope,
                    max_seconds=self.max_seconds,
                )
        except Exception as error:  # every failure leaves with a reason, never as a bare exception
            return failure(self, flowfile, error)
        return FlowFileTransformResult(result.route, attributes=result.attributes)
