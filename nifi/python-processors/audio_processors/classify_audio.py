"""ClassifyAudio: NiFi adapter over audio_pipeline.flow_steps.classify (TF Serving Predict over gRPC)."""

from urllib.parse import urlsplit

from audio_pipeline import flow_steps, metrics
from nifiapi.documentation import use_case
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.processor_support import (
    INVALID_AUDIO,
    begin_attempt,
    failure,
    invalid,
    mark_scheduled,
    must_be_positive,
    seconds,
)
from audio_processors.py4j_bridge import FlowFileAttributes, prepare_bridge


def is_host_port(value: str | None) -> bool:
    """One `host:port` (a name, IPv4 or [IPv6] address and a port 1-65535), nothing else."""
    if not value or any(c in value for c in ",/@ \t"):
        return False
    try:
        parts = urlsplit(f"//{value}")
        return bool(parts.hostname) and parts.port is not None and parts.port > 0
    except ValueError:  # port not a number or out of range
        return False


STAGE = "classify"  # this processor's label in the stage and retry metrics


@use_case(
    description="Label each audio file as speech, music, noise, tone or silence with a model served by "
    "TensorFlow Serving, without losing files while the model server is down.",
    keywords=["audio", "classification", "tensorflow serving", "grpc", "speech", "music"],
    configuration="""
        Set "Model Server" to the host:port of TensorFlow Serving's gRPC API and "Model Name" to the served model.
        Keep "Window Duration" and "Hop Duration" at "1 sec" for the audio_classifier model; a shorter hop makes the
            windows overlap.
        Connect the 'retry' relationship back to ClassifyAudio: NiFi penalizes the files there, and they are
            classified once the server answers again.
        Connect 'success' to the next step, and 'invalid' and 'failure' to the quarantine path, with 'failure' set
            to retry; auto-terminate 'original'.
        """,
)
class ClassifyAudio(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Expects the 16 kHz mono 16-bit WAV that DecodeAudio writes. Cuts it into windows (Window Duration, "
            "Hop Duration), asks TensorFlow Serving's gRPC Predict API for class probabilities over one reused "
            "channel, with a deadline and bounded retries, and sets audio.class (speech, music, noise, tone or "
            "silence), audio.class.confidence, audio.class.scores (JSON class to probability), "
            "audio.class.segments (JSON time ranges per class), audio.model.name and audio.model.version, and "
            "audio.class.basis=model; the content is left as it is. A file whose audio.out.of.band DecodeAudio set "
            "(all of its content lies above the analysis band, where the model would hear silence) is not sent to "
            "the model: it is labelled with that value (tone or noise), audio.class.basis=received spectrum, and "
            "no confidence, scores or model. Routes to success; while the model server is unreachable or "
            "overloaded, to retry with the reason in audio.retry.reason (loop it back: nothing fails or is lost); "
            "a request the server rejects or an unusable answer to invalid with audio.error (serving_request_rejected, "
            "serving_bad_response) and audio.error.detail; an unexpected error to failure, which NiFi retries, with "
            "audio.error=internal_error and audio.retries, logged as an error bulletin."
        )
        tags = ["audio", "classification", "tensorflow", "tensorflow-serving", "grpc"]
        dependencies = ["soundfile", "soxr", "grpcio", "protobuf"]

    SERVER = PropertyDescriptor(
        name="Model Server",
        description="The host and port of TensorFlow Serving's gRPC API, as one host:port such as 127.0.0.1:8500.",
        required=True,
        validators=[StandardValidators.HOSTNAME_PORT_LIST_VALIDATOR],
    )
    MODEL_NAME = PropertyDescriptor(
        name="Model Name",
        description="The name under which TensorFlow Serving serves the classifier model.",
        required=True,
        default_value="audio_classifier",
        validators=[StandardValidators.NON_EMPTY_VALIDATOR],
    )
    MODEL_VERSION_LABEL = PropertyDescriptor(
        name="Model Version Label",
        description="The version label to ask the server for, such as stable or canary. When empty, the latest "
        "version of the model answers.",
        required=False,
    )
    WINDOW = PropertyDescriptor(
        name="Window Duration",
        description="The length of audio in each model input window, as a time period. The audio_classifier model "
        "takes 1 sec windows of 16 kHz audio; change it only for a model trained on another length.",
        required=True,
        default_value="1 sec",
        validators=[StandardValidators.TIME_PERIOD_VALIDATOR],
    )
    HOP = PropertyDescriptor(
        name="Hop Duration",
        description="The time from the start of one window to the start of the next, as a time period. Shorter "
        "than Window Duration makes the windows overlap; it may not be longer, so that no audio goes unclassified.",
        required=True,
        default_value="1 sec",
        validators=[StandardValidators.TIME_PERIOD_VALIDATOR],
    )
    TIMEOUT = PropertyDescriptor(
        name="Request Timeout",
        description="The deadline of each Predict request, as a time period. A request that takes longer counts as "
        "a failed attempt.",
        required=True,
        default_value="10 secs",
        validators=[StandardValidators.TIME_PERIOD_VALIDATOR],
    )
    MAX_ATTEMPTS = PropertyDescriptor(
        name="Attempts",
        description="The number of attempts per Predict request, with exponential backoff between them, before "
        "the file takes the retry relationship.",
        required=True,
        default_value="3",
        validators=[StandardValidators.POSITIVE_INTEGER_VALIDATOR],
    )
    SUCCESS = Relationship("success", "Classified: the audio.class attributes are set.")
    RETRY = Relationship(
        flow_steps.RETRY, "The model server is unreachable or overloaded: loop back, the file is classified later."
    )

    def __init__(self, **kwargs):
        super().__init__()
        prepare_bridge(kwargs.get("jvm"))
        self.client = None

    def getPropertyDescriptors(self):
        return [
            self.SERVER,
            self.MODEL_NAME,
            self.MODEL_VERSION_LABEL,
            self.WINDOW,
            self.HOP,
            self.TIMEOUT,
            self.MAX_ATTEMPTS,
        ]

    def getRelationships(self):
        return [self.SUCCESS, self.RETRY, INVALID_AUDIO]

    def customValidate(self, context):
        problems = []
        server = context.getProperty(self.SERVER).getValue()
        if not is_host_port(server):
            problems.append(invalid(self.SERVER, server, "must be one host:port, such as 127.0.0.1:8500"))
        for duration in (self.WINDOW, self.HOP, self.TIMEOUT):
            problems += must_be_positive(context, duration)
        hop = seconds(context, self.HOP)
        if hop > seconds(context, self.WINDOW):
            explanation = f"may not be longer than {self.WINDOW.name}: the audio between windows would go unclassified"
            problems.append(invalid(self.HOP, context.getProperty(self.HOP).getValue(), explanation))
        return problems

    def onScheduled(self, context):
        from audio_pipeline import classification

        metrics.configure(type(self).__name__)
        prop = context.getProperty
        self.windowing = classification.Windowing(
            window_seconds=seconds(context, self.WINDOW), hop_seconds=seconds(context, self.HOP)
        )
        self.client = classification.ServingClient(
            classification.ClientConfig(
                target=prop(self.SERVER).getValue(),
                model_name=prop(self.MODEL_NAME).getValue(),
                version_label=prop(self.MODEL_VERSION_LABEL).getValue() or None,
                timeout_seconds=seconds(context, self.TIMEOUT),
                max_attempts=prop(self.MAX_ATTEMPTS).asInteger(),
            )
        )
        mark_scheduled(self)

    def onStopped(self, context):
        if self.client is not None:
            self.client.close()
            self.client = None
        metrics.flush()

    def transform(self, context, flowfile):
        begin_attempt(self, context, flowfile, STAGE)
        try:
            with metrics.time_stage(STAGE):
                result = flow_steps.classify(
                    flowfile.getContentsAsBytes(),
                    FlowFileAttributes(flowfile),
                    client=self.client,
                    windowing=self.windowing,
                )
        except Exception as error:  # malformed responses and the like: failure with a reason
            return failure(self, flowfile, error)
        return FlowFileTransformResult(result.route, attributes=result.attributes)
