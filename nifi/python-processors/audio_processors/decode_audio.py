"""DecodeAudio: NiFi adapter over audio_pipeline.decoding (properties in, attributes and route out)."""

from audio_pipeline import flow_steps, metrics
from audio_pipeline.outcome import failure_attributes
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators, TimeUnit
from nifiapi.relationship import Relationship

from audio_processors.py4j_bridge import use_fast_content_transfer


class DecodeAudio(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Decodes WAV, FLAC, Ogg/Vorbis, Opus, MP3 (libsndfile) and AAC/M4A and other containers (ffmpeg) "
            "into the analysis form (mono 16-bit PCM WAV at the target rate) and sets format, duration and level "
            "attributes. Empty, non-audio, corrupt, absurd or over-long input goes to failure with audio.error."
        )
        tags = ["audio", "decode", "wav", "flac", "mp3", "ffmpeg"]
        dependencies = ["soundfile", "soxr"]

    TARGET_RATE = PropertyDescriptor(
        name="Target Sample Rate",
        description="Sample rate (Hz) of the mono analysis form written as the FlowFile content.",
        required=True,
        default_value="16000",
        validators=[StandardValidators.POSITIVE_INTEGER_VALIDATOR],
    )
    MAX_DURATION = PropertyDescriptor(
        name="Maximum Duration",
        description="Longer input is rejected with audio.error=too_long.",
        required=True,
        default_value="1 hour",
        validators=[StandardValidators.TIME_PERIOD_VALIDATOR],
    )
    SUCCESS = Relationship("success", "Decoded audio (analysis form) with its attributes.")

    def __init__(self, **kwargs):
        super().__init__()
        use_fast_content_transfer()

    def getPropertyDescriptors(self):
        return [self.TARGET_RATE, self.MAX_DURATION]

    def getRelationships(self):
        return [self.SUCCESS]

    def onScheduled(self, context):
        metrics.configure(type(self).__name__)
        # Parsed once: asTimePeriod makes several py4j round trips, a quarter of the per-file cost.
        self.target_rate = context.getProperty(self.TARGET_RATE).asInteger()
        self.max_duration_s = float(context.getProperty(self.MAX_DURATION).asTimePeriod(TimeUnit.SECONDS))

    def onStopped(self, context):
        metrics.flush()

    def transform(self, context, flowfile):
        try:
            with metrics.time_stage("decode"):
                result = flow_steps.decode(
                    flowfile.getContentsAsBytes(), target_rate=self.target_rate, max_duration_s=self.max_duration_s
                )
        except Exception as error:  # every failure leaves with a reason, never as a bare exception
            return FlowFileTransformResult("failure", attributes=failure_attributes(error))
        return FlowFileTransformResult("success", attributes=result.attributes, contents=result.content)
