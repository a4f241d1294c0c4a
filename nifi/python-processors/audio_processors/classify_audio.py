"""ClassifyAudio: NiFi adapter over audio_pipeline.flow_steps.classify (TF Serving Predict over gRPC)."""

from audio_pipeline import flow_steps, metrics
from audio_pipeline.outcome import failure_attributes
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.py4j_bridge import use_fast_content_transfer


class ClassifyAudio(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Classifies the audio as speech, music, noise, tone or silence with a TensorFlow model served by "
            "TensorFlow Serving (gRPC Predict): 1 s windows, aggregated to audio.class, audio.class.confidence, "
            "audio.class.scores and audio.class.segments. While the server is unreachable or overloaded, files "
            "take the 'retry' route (loop it back; the flow penalizes them)."
        )
        tags = ["audio", "classification", "tensorflow", "tensorflow-serving", "grpc"]
        dependencies = ["soundfile", "soxr", "grpcio", "protobuf"]

    SERVER = PropertyDescriptor(
        name="Model Server",
        description="host:port of TensorFlow Serving's gRPC API.",
        required=True,
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    MODEL_NAME = PropertyDescriptor(
        name="Model Name", description="Served model name.", required=True, default_value="audio_classifier"
    )
    MODEL_VERSION_LABEL = PropertyDescriptor(
        name="Model Version Label",
        description="Version label to ask for (e.g. stable, canary); empty: the latest version.",
        required=False,
    )
    WINDOW_SECONDS = PropertyDescriptor(
        name="Window Seconds",
        description="Length of each model input window.",
        required=True,
        default_value="1.0",
        validators=[StandardValidators.NUMBER_VALIDATOR],
    )
    HOP_SECONDS = PropertyDescriptor(
        name="Hop Seconds",
        description="Step between windows (less than the window: overlapping).",
        required=True,
        default_value="1.0",
        validators=[StandardValidators.NUMBER_VALIDATOR],
    )
    TIMEOUT_SECONDS = PropertyDescriptor(
        name="Request Timeout Seconds",
        description="Deadline of each Predict call.",
        required=True,
        default_value="10",
        validators=[StandardValidators.NUMBER_VALIDATOR],
    )
    MAX_ATTEMPTS = PropertyDescriptor(
        name="Attempts",
        description="Attempts per request, with exponential backoff, before the retry route.",
        required=True,
        default_value="3",
        validators=[StandardValidators.POSITIVE_INTEGER_VALIDATOR],
    )
    SUCCESS = Relationship("success", "Classified.")
    RETRY = Relationship(flow_steps.RETRY, "Model server unreachable or overloaded: try again later.")

    def __init__(self, **kwargs):
        super().__init__()
        use_fast_content_transfer()
        self.client = None

    def getPropertyDescriptors(self):
        return [
            self.SERVER,
            self.MODEL_NAME,
            self.MODEL_VERSION_LABEL,
            self.WINDOW_SECONDS,
            self.HOP_SECONDS,
            self.TIMEOUT_SECONDS,
            self.MAX_ATTEMPTS,
        ]

    def getRelationships(self):
        return [self.SUCCESS, self.RETRY]

    def onScheduled(self, context):
        from audio_pipeline import classification

        metrics.configure(type(self).__name__)
        prop = context.getProperty
        self.windowing = classification.Windowing(
            window_seconds=float(prop(self.WINDOW_SECONDS).getValue()),
            hop_seconds=float(prop(self.HOP_SECONDS).getValue()),
        )
        self.client = classification.ServingClient(
            classification.ClientConfig(
                target=prop(self.SERVER).getValue(),
                model_name=prop(self.MODEL_NAME).getValue(),
                version_label=prop(self.MODEL_VERSION_LABEL).getValue() or None,
                timeout_seconds=float(prop(self.TIMEOUT_SECONDS).getValue()),
                max_attempts=prop(self.MAX_ATTEMPTS).asInteger(),
            )
        )

    def onStopped(self, context):
        if self.client is not None:
            self.client.close()
            self.client = None
        metrics.flush()

    def transform(self, context, flowfile):
        try:
            with metrics.time_stage("classify"):
                result = flow_steps.classify(
                    flowfile.getContentsAsBytes(), client=self.client, windowing=self.windowing
                )
        except Exception as error:  # malformed responses and the like: failure with a reason
            return FlowFileTransformResult("failure", attributes=failure_attributes(error))
        return FlowFileTransformResult(result.route, attributes=result.attributes)
