"""ScoreSpeechQuality: NiFi adapter over audio_pipeline.flow_steps.score_speech_quality."""

from pathlib import Path

from audio_pipeline import flow_steps, metrics, speech_quality
from audio_pipeline.outcome import failure_attributes
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.py4j_bridge import FlowFileAttributes, use_fast_content_transfer


class ScoreSpeechQuality(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Scores speech quality with PESQ (ITU-T P.862 narrow-band, P.862.2 wide-band) against a reference "
            "recording found by name in the references folder, and labels it Excellent/Good/Fair/Poor/Bad. "
            "Files without a reference leave unscored through 'no reference'."
        )
        tags = ["audio", "speech", "quality", "pesq", "mos"]
        dependencies = ["soundfile", "soxr", "pesq"]

    REFERENCES_DIR = PropertyDescriptor(
        name="References Directory",
        description="Folder of reference recordings; a reference is named by audio.reference or by the file's name.",
        required=True,
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    MODE = PropertyDescriptor(
        name="PESQ Mode",
        description="auto: wide-band (P.862.2) when both signals are at 16 kHz or above, else narrow-band (P.862).",
        required=True,
        default_value="auto",
        allowable_values=["auto", "wb", "nb"],
    )
    THRESHOLDS = PropertyDescriptor(
        name="Quality Thresholds",
        description="Lowest MOS for Excellent, Good, Fair and Poor (below: Bad). Defaults: the ITU-T G.107 "
        "user-satisfaction boundaries R = 80/70/60/50.",
        required=True,
        default_value="4.02,3.60,3.10,2.58",
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    WORKERS = PropertyDescriptor(
        name="PESQ Worker Processes",
        description="Processes that compute PESQ for this processor (0: in the processor's own process). "
        "The pesq library holds the Python GIL, so one process scores on one core; give the processor as "
        "many Concurrent Tasks as worker processes.",
        required=True,
        default_value="2",
        validators=[StandardValidators.NON_NEGATIVE_INTEGER_VALIDATOR],
    )
    SUCCESS = Relationship("success", "Scored: audio.pesq.mos, audio.pesq.mode, audio.quality.label set.")
    NO_REFERENCE = Relationship(flow_steps.NO_REFERENCE, "No reference recording for this file: not scored.")

    def __init__(self, **kwargs):
        super().__init__()
        use_fast_content_transfer()
        self.pool = None

    def getPropertyDescriptors(self):
        return [self.REFERENCES_DIR, self.MODE, self.THRESHOLDS, self.WORKERS]

    def getRelationships(self):
        return [self.SUCCESS, self.NO_REFERENCE]

    def onScheduled(self, context):
        metrics.configure(type(self).__name__)
        # Properties are read once here, not per file: each read is py4j round trips.
        self.thresholds = speech_quality.QualityThresholds.parse(context.getProperty(self.THRESHOLDS).getValue())
        mode = context.getProperty(self.MODE).getValue()
        self.mode = None if mode == "auto" else mode
        self.references_dir = Path(context.getProperty(self.REFERENCES_DIR).getValue())
        workers = context.getProperty(self.WORKERS).asInteger()
        self.pool = speech_quality.ScoringPool(workers) if workers else None

    def onStopped(self, context):
        if self.pool is not None:
            self.pool.close()
            self.pool = None
        metrics.flush()

    def transform(self, context, flowfile):
        attributes = FlowFileAttributes(flowfile)
        try:
            reference = flow_steps.find_reference(attributes, self.references_dir)
            if reference is None:  # decided from attributes alone: the content is never read
                return FlowFileTransformResult(flow_steps.NO_REFERENCE)
            with metrics.time_stage("pesq"):
                result = flow_steps.score_speech_quality(
                    flowfile.getContentsAsBytes(),
                    attributes,
                    reference=reference,
                    mode=self.mode,
                    thresholds=self.thresholds,
                    pool=self.pool,
                )
        except Exception as error:  # every failure leaves with a reason, never as a bare exception
            return FlowFileTransformResult("failure", attributes=failure_attributes(error))
        return FlowFileTransformResult(result.route, attributes=result.attributes)
