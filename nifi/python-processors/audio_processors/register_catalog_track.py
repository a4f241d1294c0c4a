"""RegisterCatalogTrack: NiFi adapter over audio_pipeline.flow_steps.register_catalog_track."""

from audio_pipeline import flow_steps
from audio_pipeline.fingerprint_index import FingerprintIndex
from nifiapi.documentation import ProcessorConfiguration, multi_processor_use_case, use_case
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.processor_support import INVALID_AUDIO, begin_attempt, database_url, failure, mark_scheduled
from audio_processors.py4j_bridge import FlowFileAttributes, prepare_bridge

STAGE = "catalog"  # this processor's label in the stage and retry metrics


@use_case(
    description="Add a reference track to the catalog that FingerprintAudio matches excerpts against.",
    keywords=["audio", "fingerprint", "catalog", "register", "landmark"],
    configuration="""
        Set "Database URL" and "Database Password" to the same fingerprint index database as FingerprintAudio's.
        Feed it the output of a DecodeAudio; the track id is the file name without its extension.
        Connect 'success' to what records the registration, and 'invalid' and 'failure' to the quarantine path, with
            'failure' set to retry; auto-terminate 'original'.
        """,
)
@multi_processor_use_case(
    description="Keep the fingerprint catalog in step with a folder of tracks: every new or changed file in the "
    "folder is registered (again), and the files stay in the folder.",
    keywords=["audio", "catalog", "fingerprint", "folder", "listing"],
    configurations=[
        ProcessorConfiguration(
            processor_type="ListFile",
            configuration="""
                Set "Input Directory" to the catalog folder, "Minimum File Age" to "2 sec" and "File Filter" to
                    "[^\\.].*", so that hidden and half-written files are left alone.
                Keep "Listing Strategy" at "Tracking Timestamps", so that a changed file is listed again.
                Connect 'success' to FetchFile.
                """,
        ),
        ProcessorConfiguration(
            processor_type="FetchFile",
            configuration="""
                Keep "File to Fetch" at "${absolute.path}/${filename}" and "Completion Strategy" at "None", so that
                    the tracks stay in the folder.
                Connect 'success' to DecodeAudio.
                """,
        ),
        ProcessorConfiguration(
            processor_type="DecodeAudio",
            configuration="""
                Keep "Target Sample Rate" at 16000.
                Connect 'success' to RegisterCatalogTrack, and 'invalid' and 'failure' (retried) to the quarantine
                    path.
                """,
        ),
        ProcessorConfiguration(
            processor_type="RegisterCatalogTrack",
            configuration="""
                Set "Database URL" and "Database Password" to the fingerprint index database that FingerprintAudio
                    reads.
                Connect 'invalid' and 'failure' (retried) to the quarantine path.
                """,
        ),
    ],
)
class RegisterCatalogTrack(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Expects the 16 kHz mono 16-bit WAV that DecodeAudio writes of a catalog track, with its filename. "
            "Registers the track's spectral-peak landmarks in the fingerprint index under the file name without "
            "its extension, replacing an earlier version of the same track, sets audio.catalog.track.id and "
            "audio.catalog.hashes (the number of landmark hashes) and routes to success; the content is left as "
            "it is. Samples that cannot be fingerprinted go to invalid with audio.error=landmark_error; a database "
            "error to failure, which NiFi retries, with audio.error=database_error (a warning bulletin), an "
            "unexpected error with audio.error=internal_error (an error bulletin); audio.retries counts the retries."
        )
        tags = ["audio", "fingerprint", "catalog"]
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
    SUCCESS = Relationship("success", "Registered: audio.catalog.track.id and audio.catalog.hashes are set.")

    def __init__(self, **kwargs):
        super().__init__()
        prepare_bridge(kwargs.get("jvm"))
        self.index = None

    def getPropertyDescriptors(self):
        return [self.DATABASE_URL, self.DATABASE_PASSWORD]

    def getRelationships(self):
        return [self.SUCCESS, INVALID_AUDIO]

    def onScheduled(self, context):
        self.index = FingerprintIndex.open(database_url(context, self.DATABASE_URL, self.DATABASE_PASSWORD))
        mark_scheduled(self)

    def onStopped(self, context):
        if self.index is not None:
            self.index.close()
            self.index = None

    def transform(self, context, flowfile):
        begin_attempt(self, context, flowfile, STAGE)
        try:
            result = flow_steps.register_catalog_track(
                flowfile.getContentsAsBytes(), FlowFileAttributes(flowfile), index=self.index
            )
        except Exception as error:  # every failure leaves with a reason, never as a bare exception
            return failure(self, flowfile, error)
        return FlowFileTransformResult(result.route, attributes=result.attributes)
