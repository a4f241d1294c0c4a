"""FingerprintAudio: NiFi adapter over audio_pipeline.flow_steps.fingerprint."""

from audio_pipeline import flow_steps, metrics
from audio_pipeline.fingerprint_index import FingerprintIndex
from nifiapi.documentation import use_case
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.processor_support import (
    INVALID_AUDIO,
    begin_attempt,
    database_url,
    failure,
    mark_scheduled,
    must_be_positive,
    seconds,
)
from audio_processors.py4j_bridge import FlowFileAttributes, prepare_bridge

STAGE = "fingerprint"  # this processor's label in the stage and retry metrics


@use_case(
    description="Find out whether a file was seen before (also re-encoded) and which catalog track an excerpt "
    "comes from.",
    keywords=["audio", "fingerprint", "duplicate", "identification", "chromaprint", "catalog"],
    configuration="""
        Set "Database URL" to the fingerprint index database, without a password, and "Database Password" to its
            password (a sensitive parameter).
        Use the database RegisterCatalogTrack registers the catalog in.
        Keep "Maximum Match Duration" at "2 mins" unless excerpts start later in the files.
        Connect 'success' to the next step, and 'invalid' and 'failure' to the quarantine path, with 'failure' set
            to retry; auto-terminate 'original'.
        """,
)
class FingerprintAudio(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Expects the 16 kHz mono 16-bit WAV that DecodeAudio writes, with its audio.sha256 and the flow's "
            "audio.output.name. Sets audio.fingerprint.chromaprint (Chromaprint, for whole-file identity), "
            "audio.duplicate.of (the audio.output.name of an earlier file with the same audio, re-encoded or not; "
            "empty if none), and the landmark match of the file's start against the catalog: "
            "audio.fingerprint.match (the catalog track id, empty if none), audio.fingerprint.score and "
            "audio.fingerprint.offset.seconds. The content is left as it is. Routes to success; samples that cannot "
            "be fingerprinted to invalid with audio.error (chromaprint_error, landmark_error); a database error to "
            "failure, which NiFi retries, with audio.error=database_error (a warning bulletin), an unexpected error "
            "with audio.error=internal_error (an error bulletin); audio.retries counts the retries made."
        )
        tags = ["audio", "fingerprint", "chromaprint", "duplicate", "identification"]
        dependencies = ["soundfile", "soxr", "psycopg[binary]"]

    DATABASE_URL = PropertyDescriptor(
        name="Database URL",
        description="The database of the fingerprint index: sqlite:///path or postgresql://user@host:port/database. "
        "Leave the password out (NiFi shows this value in its UI and flow exports) and set Database Password.",
        required=True,
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    DATABASE_PASSWORD = PropertyDescriptor(
        name="Database Password",
        description="The password of the database user in Database URL; it replaces a password given there. "
        "Empty for SQLite or a database that needs none.",
        required=False,
        sensitive=True,
    )
    MAX_MATCH = PropertyDescriptor(
        name="Maximum Match Duration",
        description="How much audio from the start of each file is matched against the catalog, as a time period. "
        "Longer files are matched on their start only, which bounds the time an hour-long file takes.",
        required=True,
        default_value="2 mins",
        validators=[StandardValidators.TIME_PERIOD_VALIDATOR],
    )
    SUCCESS = Relationship("success", "Fingerprinted; the match attributes are empty when the catalog has no match.")

    def __init__(self, **kwargs):
        super().__init__()
        prepare_bridge(kwargs.get("jvm"))
        self.index = None

    def getPropertyDescriptors(self):
        return [self.DATABASE_URL, self.DATABASE_PASSWORD, self.MAX_MATCH]

    def getRelationships(self):
        return [self.SUCCESS, INVALID_AUDIO]

    def customValidate(self, context):
        return must_be_positive(context, self.MAX_MATCH)

    def onScheduled(self, context):
        metrics.configure(type(self).__name__)
        # read once, not per file: each property read is py4j round trips
        self.index = FingerprintIndex.open(database_url(context, self.DATABASE_URL, self.DATABASE_PASSWORD))
        self.max_match_seconds = seconds(context, self.MAX_MATCH)
        mark_scheduled(self)

    def onStopped(self, context):
        if self.index is not None:
            self.index.close()
            self.index = None
        metrics.flush()

    def transform(self, context, flowfile):
        begin_attempt(self, context, flowfile, STAGE)
        try:
            with metrics.time_stage(STAGE):
                result = flow_steps.fingerprint(
                    flowfile.getContentsAsBytes(),
                    FlowFileAttributes(flowfile),
                    index=self.index,
                    max_match_seconds=self.max_match_seconds,
                )
        except Exception as error:  # every failure leaves with a reason, never as a bare exception
            return failure(self, flowfile, error)
        return FlowFileTransformResult(result.route, attributes=result.attributes)
