"""RecordResult: NiFi adapter over audio_pipeline.flow_steps.record_outcome (results row, subtitles, metrics)."""

from pathlib import Path

from audio_pipeline import flow_steps, metrics
from audio_pipeline.results_store import ResultsStore
from nifiapi.documentation import use_case
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.processor_support import database_url, ensure_scheduled, mark_scheduled
from audio_processors.py4j_bridge import FlowFileAttributes, prepare_bridge


@use_case(
    description="Keep one row per processed or quarantined file in a results table, write a transcribed "
    "file's subtitles beside its JSON result and count it in the Prometheus metrics.",
    keywords=["audio", "results", "database", "metrics", "prometheus", "quarantine", "subtitles"],
    configuration="""
        Use one RecordResult on the results path with "Status" set to "ok" and one on the quarantine path with
            "Status" set to "quarantined".
        Set "Database URL" to the results database, without a password, and "Database Password" to its password (a
            sensitive parameter).
        Set "Results Directory" to the folder the JSON results are written to on the results path; leave it empty
            on the quarantine path.
        Connect 'failure' back to the same RecordResult, so that a database outage delays files and loses none;
            connect 'success' to what writes the result file.
        Auto-terminate 'original'.
        """,
)
class RecordResult(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Expects a file at the end of the results path or the quarantine path, with the audio.* attributes the "
            "steps before set (audio.error and audio.error.detail on the quarantine path). Writes the file's row "
            "to the results table (one row per FlowFile: a re-delivered file updates its row; a quarantined "
            "file's row keeps the reason), writes a transcribed file's subtitles (audio.transcript.segments) as "
            "WebVTT and SRT into Results Directory, named like its JSON result (audio.output.name plus .vtt and "
            ".srt), counts it in the Prometheus metrics (files, classes, quality labels, failures, latency, "
            "transcripts), sets audio.status (ok or quarantined) and routes to success; the content is left as it "
            "is. When the database or the subtitles cannot be written, the processor raises, NiFi logs the error "
            "as a bulletin and routes the file to failure unchanged: loop failure back to retry it."
        )
        tags = ["audio", "results", "database", "metrics", "prometheus"]
        # reads no content; its import chain loads no audio library (test_flow_steps checks it)
        dependencies = ["psycopg[binary]"]

    DATABASE_URL = PropertyDescriptor(
        name="Database URL",
        description="The database of the results table: sqlite:///path or postgresql://user@host:port/database. "
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
    STATUS = PropertyDescriptor(
        name="Status",
        description="The status the results row and the metrics record: ok on the results path, quarantined on "
        "the quarantine path.",
        required=True,
        default_value="ok",
        allowable_values=["ok", "quarantined"],  # the keys of flow_steps.OUTCOME_STATUSES (NiFi reads literals)
    )
    RESULTS_DIRECTORY = PropertyDescriptor(
        name="Results Directory",
        description="The folder of the JSON results (the Directory of the PutFile that writes them). A file with "
        "audio.transcript.segments gets its subtitles there, <audio.output.name>.vtt and .srt beside its "
        "<audio.output.name>.json. Empty: no subtitle files (the quarantine path).",
        required=False,
    )
    SUCCESS = Relationship("success", "Recorded: audio.status is set.")

    def __init__(self, **kwargs):
        super().__init__()
        prepare_bridge(kwargs.get("jvm"))
        self.store = None

    def getPropertyDescriptors(self):
        return [self.DATABASE_URL, self.DATABASE_PASSWORD, self.STATUS, self.RESULTS_DIRECTORY]

    def getRelationships(self):
        return [self.SUCCESS]

    def onScheduled(self, context):
        metrics.configure(type(self).__name__)
        # read once, not per file: each property read is py4j round trips
        self.store = ResultsStore.open(database_url(context, self.DATABASE_URL, self.DATABASE_PASSWORD))
        self.status = context.getProperty(self.STATUS).getValue()
        results_dir = context.getProperty(self.RESULTS_DIRECTORY).getValue()
        self.results_dir = Path(results_dir.strip()) if results_dir and results_dir.strip() else None
        mark_scheduled(self)

    def onStopped(self, context):
        if self.store is not None:
            self.store.close()
            self.store = None
        metrics.flush()

    def transform(self, context, flowfile):
        ensure_scheduled(self, context)
        # No catch-all here: a database outage must not turn into a lost file. The exception routes the
        # FlowFile to failure, which the flow loops back with a penalty until the database is back.
        result = flow_steps.record_outcome(
            FlowFileAttributes(flowfile), self.status, store=self.store, results_dir=self.results_dir
        )
        return FlowFileTransformResult(result.route, attributes=result.attributes)
