"""DecodeAudio: NiFi adapter over audio_pipeline.flow_steps.decode (properties in, attributes and route out)."""

from audio_pipeline import attributes as attr
from audio_pipeline import flow_steps, metrics
from nifiapi.documentation import ProcessorConfiguration, multi_processor_use_case, use_case
from nifiapi.flowfiletransform import FlowFileTransform, FlowFileTransformResult
from nifiapi.properties import PropertyDescriptor, StandardValidators
from nifiapi.relationship import Relationship

from audio_processors.processor_support import failure, must_be_positive, seconds
from audio_processors.py4j_bridge import use_fast_content_transfer


@use_case(
    description="Turn any received audio file into the analysis form the other audio processors read.",
    keywords=["audio", "decode", "convert", "resample", "wav", "mp3", "flac"],
    configuration="""
        Keep "Target Sample Rate" at 16000: ClassifyAudio's model and ScoreSpeechQuality's wide-band mode expect 16 kHz.
        Set "Maximum Duration" to the longest recording to accept, for example "1 hour".
        Connect the 'success' relationship to the next analysis step (ClassifyAudio, or RegisterCatalogTrack for
            catalog tracks).
        Connect the 'failure' relationship to the quarantine path; audio.error names the reason.
        Auto-terminate the 'original' relationship.
        """,
)
@multi_processor_use_case(
    description="Analyse audio files that arrive over HTTP or in a watched folder: decode, classify, fingerprint, "
    "score speech quality and record one result per file.",
    keywords=["audio", "analysis", "pipeline", "classification", "fingerprint", "pesq"],
    notes="Every failure relationship leads to one quarantine path (UpdateAttribute, RecordResult with Status "
    "quarantined, PutFile), so that every file ends as exactly one result or one quarantined file.",
    configurations=[
        ProcessorConfiguration(
            processor_type="ListenHTTP",
            configuration="""
                Set "Listening Port" to the ingest port and "Base Path" to "audio".
                Set "HTTP Headers to receive as Attributes (Regex)" to "filename|reference", so that senders name the
                    file and its PESQ reference.
                Connect the 'success' relationship to an UpdateAttribute that sets audio.source, audio.ingested.at and
                    audio.output.name, and that to DecodeAudio.
                """,
        ),
        ProcessorConfiguration(
            processor_type="GetFile",
            configuration="""
                Set "Input Directory" to the watched folder, "Keep Source File" to "false" and "Minimum File Age" to
                    "2 sec", so that files still being written are left alone.
                Connect the 'success' relationship like ListenHTTP's, through the UpdateAttribute, to DecodeAudio.
                """,
        ),
        ProcessorConfiguration(
            processor_type="DecodeAudio",
            configuration="""
                Keep "Target Sample Rate" at 16000.
                Connect 'success' to ClassifyAudio and 'failure' to the quarantine path.
                """,
        ),
        ProcessorConfiguration(
            processor_type="ClassifyAudio",
            configuration="""
                Set "Model Server" to TensorFlow Serving's gRPC host:port.
                Connect 'success' to FingerprintAudio, 'retry' back to ClassifyAudio (NiFi penalizes the files) and
                    'failure' to the quarantine path.
                """,
        ),
        ProcessorConfiguration(
            processor_type="FingerprintAudio",
            configuration="""
                Set "Database URL" (without the password) and "Database Password" to the fingerprint index database.
                Connect 'success' to ScoreSpeechQuality and 'failure' to the quarantine path.
                """,
        ),
        ProcessorConfiguration(
            processor_type="ScoreSpeechQuality",
            configuration="""
                Set "References Directory" to the folder of reference recordings.
                Connect 'success' and 'no reference' to RecordResult and 'failure' to the quarantine path.
                """,
        ),
        ProcessorConfiguration(
            processor_type="RecordResult",
            configuration="""
                Set "Status" to "ok" and "Database URL" and "Database Password" to the results database.
                Connect 'success' to AttributesToJSON and PutFile to write the result file, and 'failure' back to
                    RecordResult, so that a database outage delays files and loses none.
                """,
        ),
    ],
)
class DecodeAudio(FlowFileTransform):
    class Java:
        implements = ["org.apache.nifi.python.processor.FlowFileTransform"]

    class ProcessorDetails:
        version = "0.1.0"
        description = (
            "Expects an audio file as received: WAV, FLAC, Ogg/Vorbis, Opus or MP3 (decoded with libsndfile, or with "
            "ffmpeg when libsndfile refuses a file or it is a chained Ogg stream), AAC/M4A and other containers "
            "(decoded with ffmpeg), or headerless telephony audio named by its file name's extension (.gsm, .ulaw or "
            ".mu, .alaw, .sln; 8 kHz mono), with audio.decoder naming the decoder and audio.decoder.fallback why "
            "libsndfile was not used. Writes the analysis form as the new content, a mono "
            "16-bit PCM WAV at Target Sample Rate (input already in that form keeps its bytes), sets audio.format, "
            "audio.original.sample.rate, audio.original.channels, audio.duration.seconds, audio.sample.rate, "
            "audio.channels, audio.sha256 (of the bytes received), and the levels of the audio as received, every "
            "channel at its own rate before the downmix and resampling: audio.peak.dbfs, audio.rms.dbfs, "
            "audio.silence.ratio (the loudest channel counts), audio.clipping.ratio, audio.channel.N.peak.dbfs and "
            "audio.channel.N.rms.dbfs per channel, audio.bandwidth.hz (the highest frequency with meaningful energy), "
            "audio.phase.correlation (-1 to +1 between the first two channels), audio.mono.downmix.loss.db and "
            "audio.mono.compatible (false when the downmix loses more than 6 dB; the analysis form is then made from "
            "the loudest channel, and audio.analysis.source says which), and audio.out.of.band (tone or noise when "
            "all content lies above the analysis form's band, so that ClassifyAudio does not call it silence). "
            "Routes it to success. Empty input, non-audio, corrupt "
            "or truncated files, absurd headers, NaN or infinite samples and input longer than Maximum Duration go "
            "to failure with audio.error (empty_input, not_audio, corrupt_audio, invalid_header, non_finite_samples, "
            "too_long) and audio.error.detail; an unexpected error goes there with audio.error=internal_error and "
            "is logged as an error bulletin."
        )
        tags = ["audio", "decode", "resample", "wav", "flac", "mp3", "ffmpeg"]
        dependencies = ["soundfile", "soxr"]

    TARGET_RATE = PropertyDescriptor(
        name="Target Sample Rate",
        description="The sample rate, in Hz, of the mono analysis form written as the content. ClassifyAudio's "
        "model and ScoreSpeechQuality's wide-band mode expect 16000.",
        required=True,
        default_value="16000",
        validators=[StandardValidators.POSITIVE_INTEGER_VALIDATOR],
    )
    MAX_DURATION = PropertyDescriptor(
        name="Maximum Duration",
        description="The longest input accepted, as a time period such as 1 hour. Longer input goes to failure "
        "with audio.error=too_long.",
        required=True,
        default_value="1 hour",
        validators=[StandardValidators.TIME_PERIOD_VALIDATOR],
    )
    SUCCESS = Relationship("success", "The analysis form as content, with the format and level attributes.")

    def __init__(self, **kwargs):
        super().__init__()
        use_fast_content_transfer()

    def getPropertyDescriptors(self):
        return [self.TARGET_RATE, self.MAX_DURATION]

    def getRelationships(self):
        return [self.SUCCESS]

    def customValidate(self, context):
        return must_be_positive(context, self.MAX_DURATION)

    def onScheduled(self, context):
        metrics.configure(type(self).__name__)
        # Parsed once: asTimePeriod makes several py4j round trips, a quarter of the per-file cost.
        self.target_rate = context.getProperty(self.TARGET_RATE).asInteger()
        self.max_duration_s = seconds(context, self.MAX_DURATION)

    def onStopped(self, context):
        metrics.flush()

    def transform(self, context, flowfile):
        try:
            with metrics.time_stage("decode"):
                result = flow_steps.decode(
                    flowfile.getContentsAsBytes(),
                    target_rate=self.target_rate,
                    max_duration_s=self.max_duration_s,
                    filename=flowfile.getAttribute(attr.FILENAME),
                )
        except Exception as error:  # every failure leaves with a reason, never as a bare exception
            return failure(self, flowfile, error)
        return FlowFileTransformResult("success", attributes=result.attributes, contents=result.content)
