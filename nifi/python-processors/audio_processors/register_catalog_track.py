"""RegisterCatalogTrack: NiFi adapter over audio_pipeline.flow_steps.register_catalog_track."""

from audio_pipeline import flow_steps
from audio_pipeline.fingerprint_index import FingerprintIndex
from audio_pipeline.outcome import failure_attributes
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.py4j_bridge import FlowFileAttributes, use_fast_content_transfer


class RegisterCatalogTrack(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Registers a decoded catalog file in the landmark fingerprint index under its file name without "
            "extension (replacing an earlier version of the same track)."
        )
        tags = ["audio", "fingerprint", "catalog"]
        dependencies = ["soundfile", "soxr", "psycopg[binary]"]

    DATABASE_URL = PropertyDescriptor(
        name="Database URL",
        description="Fingerprint index database: sqlite:///path or postgresql://user@host/db.",
        required=True,
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    SUCCESS = Relationship("success", "Registered: audio.catalog.track.id and audio.catalog.hashes set.")

    def __init__(self, **kwargs):
        super().__init__()
        use_fast_content_transfer()
        self.index = None

    def getPropertyDescriptors(self):
        return [self.DATABASE_URL]

    def getRelationships(self):
        return [self.SUCCESS]

    def onScheduled(self, context):
        self.index = FingerprintIndex.open(context.getProperty(self.DATABASE_URL).getValue())

    def onStopped(self, context):
        if self.index is not None:
            self.index.close()
            self.index = None

    def transform(self, context, flowfile):
        try:
            result = flow_steps.register_catalog_track(
                flowfile.getContentsAsBytes(), FlowFileAttributes(flowfile), index=self.index
            )
        except Exception as error:  # every failure leaves with a reason, never as a bare exception
            return FlowFileTransformResult("failure", attributes=failure_attributes(error))
        return FlowFileTransformResult(result.route, attributes=result.attributes)
