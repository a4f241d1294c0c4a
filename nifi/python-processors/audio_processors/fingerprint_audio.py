"""FingerprintAudio: NiFi adapter over audio_pipeline.flow_steps.fingerprint."""

from audio_pipeline import flow_steps, metrics
from audio_pipeline.fingerprint_index import FingerprintIndex
from audio_pipeline.outcome import failure_attributes
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.py4j_bridge import FlowFileAttributes, use_fast_content_transfer


class FingerprintAudio(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Chromaprint fingerprint for whole-file identity (audio.fingerprint.chromaprint, audio.duplicate.of "
            "when the same audio was seen before, re-encoded or not) and a landmark match against the catalog "
            "(audio.fingerprint.match, .score, .offset.seconds)."
        )
        tags = ["audio", "fingerprint", "chromaprint", "duplicate", "identification"]
        dependencies = ["soundfile", "soxr", "psycopg[binary]"]

    DATABASE_URL = PropertyDescriptor(
        name="Database URL",
        description="Fingerprint index database: sqlite:///path or postgresql://user@host/db.",
        required=True,
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    MAX_MATCH_SECONDS = PropertyDescriptor(
        name="Maximum Match Duration",
        description="Seconds from the start of a file used to match it against the catalog.",
        required=True,
        default_value="120",
        validators=[StandardValidators.POSITIVE_INTEGER_VALIDATOR],
    )
    SUCCESS = Relationship("success", "Fingerprinted (match attributes empty when not in the catalog).")

    def __init__(self, **kwargs):
        super().__init__()
        use_fast_content_transfer()
        self.index = None

    def getPropertyDescriptors(self):
        return [self.DATABASE_URL, self.MAX_MATCH_SECONDS]

    def getRelationships(self):
        return [self.SUCCESS]

    def onScheduled(self, context):
        metrics.configure(type(self).__name__)
        self.index = FingerprintIndex.open(context.getProperty(self.DATABASE_URL).getValue())
        # read once, not per file: each property read is py4j round trips
        self.max_match_seconds = float(context.getProperty(self.MAX_MATCH_SECONDS).asInteger())

    def onStopped(self, context):
        if self.index is not None:
            self.index.close()
            self.index = None
        metrics.flush()

    def transform(self, context, flowfile):
        try:
            with metrics.time_stage("fingerprint"):
                result = flow_steps.fingerprint(
                    flowfile.getContentsAsBytes(),
                    FlowFileAttributes(flowfile),
                    index=self.index,
                    max_match_seconds=self.max_match_seconds,
                )
        except Exception as error:  # every failure leaves with a reason, never as a bare exception
            return FlowFileTransformResult("failure", attributes=failure_attributes(error))
        return FlowFileTransformResult(result.route, attributes=result.attributes)
