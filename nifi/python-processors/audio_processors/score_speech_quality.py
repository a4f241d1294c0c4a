"""ScoreSpeechQuality: NiFi adapter over audio_pipeline.flow_steps.score_speech_quality."""

from pathlib import Path

from audio_pipeline import flow_steps, metrics, speech_quality
from nifiapi.documentation import use_case
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.processor_support import INVALID_AUDIO, begin_attempt, failure, invalid, mark_scheduled
from audio_processors.py4j_bridge import FlowFileAttributes, prepare_bridge

STAGE = "pesq"  # this processor's label in the stage and retry metrics


@use_case(
    description="Score the speech quality of recordings against clean reference recordings (PESQ MOS) and "
    "label it from Excellent to Bad.",
    keywords=["audio", "speech", "quality", "pesq", "mos", "reference"],
    configuration="""
        Set "References Directory" to the folder of reference recordings; a file's reference is named by its
            audio.reference attribute, or else has the file's own name.
        Keep "PESQ Mode" at "auto" and "Quality Thresholds" at the ITU-T G.107 boundaries unless your users judge
            quality differently.
        Set "PESQ Worker Processes" and the processor's Concurrent Tasks to the same number, at most the cores to spare.
        Connect 'success' and 'no reference' to the next step, and 'invalid' and 'failure' to the quarantine path,
            with 'failure' set to retry; auto-terminate 'original'.
        """,
)
class ScoreSpeechQuality(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Expects the 16 kHz mono 16-bit WAV that DecodeAudio writes, with its filename, "
            "audio.original.sample.rate and optionally audio.reference (the bare file name of its reference "
            "recording). Scores it with PESQ (ITU-T P.862 narrow-band, P.862.2 wide-band) against the reference in "
            "References Directory, sets audio.pesq.mos, audio.pesq.mode, audio.reference.filename and "
            "audio.quality.label (Excellent, Good, Fair, Poor or Bad, by Quality Thresholds) and routes to success; "
            "the content is left as it is. A file without a reference leaves unscored through no reference, its "
            "content never read. A path-like audio.reference goes to invalid with audio.error=invalid_reference, "
            "audio PESQ cannot score (no utterances, too short) with audio.error=pesq_error; an unexpected error "
            "goes to failure, which NiFi retries, with audio.error=internal_error and audio.retries, logged as an "
            "error bulletin."
        )
        tags = ["audio", "speech", "quality", "pesq", "mos"]
        dependencies = ["soundfile", "soxr", "pyebur128", "pesq"]  # the decoder, for the references

    REFERENCES_DIR = PropertyDescriptor(
        name="References Directory",
        description="The folder of reference recordings. A file's reference is the file named by its "
        "audio.reference attribute, or else the file with the same name as the file itself.",
        required=True,
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    MODE = PropertyDescriptor(
        name="PESQ Mode",
        description="Which PESQ to compute. auto: wide-band (P.862.2) when both the file's original sample rate "
        "and the reference's are 16 kHz or more, else narrow-band (P.862); wb and nb force one of them.",
        required=True,
        default_value="auto",
        allowable_values=["auto", "wb", "nb"],
    )
    THRESHOLDS = PropertyDescriptor(
        name="Quality Thresholds",
        description="The lowest MOS of the labels Excellent, Good, Fair and Poor: four comma-separated, strictly "
        "decreasing numbers from 1 to 5; a lower MOS is Bad. The defaults are the MOS at the ITU-T G.107 "
        "user-satisfaction boundaries R = 80, 70, 60 and 50.",
        required=True,
        default_value="4.02,3.60,3.10,2.58",
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    WORKERS = PropertyDescriptor(
        name="PESQ Worker Processes",
        description="The number of processes that compute PESQ for this processor; 0 computes it in the "
        "processor's own process. The pesq library holds the Python GIL, so one process scores on one core: "
        "give the processor as many Concurrent Tasks as worker processes.",
        required=True,
        default_value="2",
        validators=[StandardValidators.NON_NEGATIVE_INTEGER_VALIDATOR],
    )
    SUCCESS = Relationship("success", "Scored: audio.pesq.mos, audio.pesq.mode and audio.quality.label are set.")
    NO_REFERENCE = Relationship(flow_steps.NO_REFERENCE, "No reference recording for this file: not scored.")

    def __init__(self, **kwargs):
        super().__init__()
        prepare_bridge(kwargs.get("jvm"))
        self.pool = None

    def getPropertyDescriptors(self):
        return [self.REFERENCES_DIR, self.MODE, self.THRESHOLDS, self.WORKERS]

    def getRelationships(self):
        return [self.SUCCESS, self.NO_REFERENCE, INVALID_AUDIO]

    def customValidate(self, context):
        text = context.getProperty(self.THRESHOLDS).getValue()
        try:
            speech_quality.QualityThresholds.parse(text)
        except ValueError as error:
            return [invalid(self.THRESHOLDS, text, str(error))]
        return []

    def onScheduled(self, context):
        metrics.configure(type(self).__name__)
        # Properties are read once here, not per file: each read is py4j round trips.
        self.thresholds = speech_quality.QualityThresholds.parse(context.getProperty(self.THRESHOLDS).getValue())
        mode = context.getProperty(self.MODE).getValue()
        self.mode = None if mode == "auto" else mode
        self.references_dir = Path(context.getProperty(self.REFERENCES_DIR).getValue())
        workers = context.getProperty(self.WORKERS).asInteger()
        self.pool = speech_quality.ScoringPool(workers) if workers else None
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
            reference = flow_steps.find_reference(attributes, self.references_dir)
            if reference is None:  # decided from attributes alone: the content is never read
                return FlowFileTransformResult(flow_steps.NO_REFERENCE)
            with metrics.time_stage(STAGE):
                result = flow_steps.score_speech_quality(
                    flowfile.getContentsAsBytes(),
                    attributes,
                    reference=reference,
                    mode=self.mode,
                    thresholds=self.thresholds,
                    pool=self.pool,
                )
        except Exception as error:  # every failure leaves with a reason, never as a bare exception
            return failure(self, flowfile, error)
        return FlowFileTransformResult(result.route, attributes=result.attributes)
