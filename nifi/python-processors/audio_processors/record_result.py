"""RecordResult: NiFi adapter over audio_pipeline.flow_steps.record_outcome (results row + metrics)."""

from audio_pipeline import flow_steps, metrics
from audio_pipeline.results_store import ResultsStore
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.py4j_bridge import FlowFileAttributes


class RecordResult(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Writes the file's row to the results table (one row per FlowFile: re-delivery updates it) and "
            "counts it in the Prometheus metrics (files, classes, quality labels, failures, latency)."
        )
        tags = ["audio", "results", "database", "metrics", "prometheus"]
        # soundfile and soxr only because audio_pipeline.flow_steps imports the decoder when it is imported
        dependencies = ["soundfile", "soxr", "psycopg[binary]"]

    DATABASE_URL = PropertyDescriptor(
        name="Database URL",
        description="Results database: sqlite:///path or postgresql://user@host/db.",
        required=True,
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    STATUS = PropertyDescriptor(
        name="Status",
        description="ok on the results path, quarantined on the quarantine path.",
        required=True,
        default_value="ok",
        allowable_values=list(flow_steps.OUTCOME_STATUSES),
    )
    SUCCESS = Relationship("success", "Recorded: audio.status set.")

    def __init__(self, **kwargs):
        super().__init__()
        self.store = None

    def getPropertyDescriptors(self):
        return [self.DATABASE_URL, self.STATUS]

    def getRelationships(self):
        return [self.SUCCESS]

    def onScheduled(self, context):
        metrics.configure(type(self).__name__)
        self.store = ResultsStore.open(context.getProperty(self.DATABASE_URL).getValue())
        self.status = context.getProperty(self.STATUS).getValue()  # once, not per file (py4j round trips)

    def onStopped(self, context):
        if self.store is not None:
            self.store.close()
            self.store = None
        metrics.flush()

    def transform(self, context, flowfile):
        # No catch-all here: a database outage must not turn into a lost file. The exception routes the
        # FlowFile to failure, which the flow loops back with a penalty until the database is back.
        result = flow_steps.record_outcome(FlowFileAttributes(flowfile), self.status, store=self.store)
        return FlowFileTransformResult(result.route, attributes=result.attributes)
