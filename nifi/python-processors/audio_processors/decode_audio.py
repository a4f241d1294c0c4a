"""DecodeAudio: NiFi adapter over audio_pipeline.flow_steps.decode (properties in, attributes and route out)."""

from audio_pipeline import attributes as attr
from audio_pipeline import flow_steps, loudness_profiles, metrics
from nifiapi.documentation import ProcessorConfiguration, multi_processor_use_case, use_case
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
from audio_processors.py4j_bridge import prepare_bridge

STAGE = "decode"  # this processor's label in the stage and retry metrics


@use_case(
    description="Check that received audio files meet a loudness delivery specification (EBU R 128, ATSC A/85, "
    "a streaming platform's or your own) and find the gain that would bring each one to its target.",
    keywords=["audio", "loudness", "lufs", "true peak", "ebu r128", "atsc a85", "compliance"],
    configuration="""
        Set "Loudness Profile" to the specification to check against; for custom, also set "Custom Target
            Loudness" (LUFS), "Custom Maximum True Peak" (dBTP) and "Custom Loudness Tolerance" (LU).
        Route on audio.loudness.compliant (true or false), for example with RouteOnAttribute; audio.loudness.gain.db
            is the gain, in dB, that brings a file to the target.
        Connect 'invalid' and 'failure' to the quarantine path, with 'failure' set to retry.
        """,
)
@use_case(
    description="Turn any received audio file into the analysis form the other audio processors read.",
    keywords=["audio", "decode", "convert", "resample", "wav", "mp3", "flac"],
    configuration="""
        Keep "Target Sample Rate" at 16000: ClassifyAudio's model and ScoreSpeechQuality's wide-band mode expect 16 kHz.
        Set "Maximum Duration" to the longest recording to accept, for example "1 hour".
        Set "Loudness Profile" to the delivery specification the files must meet: ebu-r128 for European
            broadcast, atsc-a85 for North American television, streaming-14 for music and video platforms, or
            custom with "Custom Target Loudness", "Custom Maximum True Peak" and "Custom Loudness Tolerance".
        Connect the 'success' relationship to the next analysis step (ClassifyAudio, or RegisterCatalogTrack for
            catalog tracks).
        Connect 'invalid' and 'failure' to the quarantine path; audio.error names the reason. Set 'failure' to
            retry (its settings in the Relationships tab), so that a failure that is not the file's waits out.
        Auto-terminate the 'original' relationship.
        """,
)
@multi_processor_use_case(
    description="Analyse audio files that arrive over HTTP or in a watched folder: decode, classify, fingerprint, "
    "score speech quality and record one result per file.",
    keywords=["audio", "analysis", "pipeline", "classification", "fingerprint", "pesq"],
    notes="Every invalid and failure relationship leads to one quarantine path (UpdateAttribute, RecordResult with "
    "Status quarantined, PutFile), so that every file ends as exactly one result or one quarantined file; failure "
    "is set to retry with backoff, so that only the audio's own faults are quarantined at once.",
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
                Connect 'success' to ClassifyAudio, and 'invalid' and 'failure' (retried) to the quarantine path.
                """,
        ),
        ProcessorConfiguration(
            processor_type="ClassifyAudio",
            configuration="""
                Set "Model Server" to TensorFlow Serving's gRPC host:port.
                Connect 'success' to FingerprintAudio, 'retry' back to ClassifyAudio (NiFi penalizes the files), and
                    'invalid' and 'failure' (retried) to the quarantine path.
                """,
        ),
        ProcessorConfiguration(
            processor_type="FingerprintAudio",
            configuration="""
                Set "Database URL" (without the password) and "Database Password" to the fingerprint index database.
                Connect 'success' to ScoreSpeechQuality, and 'invalid' and 'failure' (retried) to the quarantine
                    path.
                """,
        ),
        ProcessorConfiguration(
            processor_type="ScoreSpeechQuality",
            configuration="""
                Set "References Directory" to the folder of reference recordings.
                Connect 'success' and 'no reference' to RecordResult, and 'invalid' and 'failure' (retried) to the
                    quarantine path.
                """,
        ),
        ProcessorConfiguration(
            processor_type="RecordResult",
            configuration="""
                Set "Status" to "ok" and "Database URL" and "Database Password" to the results database.
                Set "Results Directory" to the Directory of the PutFile below: transcribed files get their subtitles
                    there, beside the result file.
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
            "It measures the loudness of the audio as received per ITU-R BS.1770-4 and EBU R 128: "
            "audio.loudness.integrated.lufs (gated; -70 when nothing passes the gates, as for silence or input "
            "shorter than 0.4 s), audio.loudness.range.lu (EBU Tech 3342; 0 below 3 s), "
            "audio.loudness.momentary.max.lufs, audio.loudness.short.term.max.lufs, audio.loudness.true.peak.dbtp "
            "and audio.channel.N.true.peak.dbtp (4x oversampled), and checks them against Loudness Profile: "
            "audio.loudness.profile, audio.loudness.compliant (true or false) and audio.loudness.gain.db (the "
            "gain to the profile's target; empty when the loudness could not be measured). "
            "Routes it to success. Empty input, non-audio, corrupt "
            "or truncated files, absurd headers, NaN or infinite samples and input longer than Maximum Duration go "
            "to invalid with audio.error (empty_input, not_audio, corrupt_audio, invalid_header, non_finite_samples, "
            "too_long, decode_timeout) and audio.error.detail. A failure that is not the file's goes to failure, "
            "which NiFi retries: a missing ffmpeg with audio.error=decoder_unavailable, an unexpected error with "
            "audio.error=internal_error, logged as an error bulletin; audio.retries counts the retries made."
        )
        tags = ["audio", "decode", "resample", "wav", "flac", "mp3", "ffmpeg"]
        dependencies = ["soundfile", "soxr", "pyebur128"]

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
        description="The longest input accepted, as a time period such as 1 hour. Longer input goes to invalid "
        "with audio.error=too_long.",
        required=True,
        default_value="1 hour",
        validators=[StandardValidators.TIME_PERIOD_VALIDATOR],
    )
    LOUDNESS_PROFILE = PropertyDescriptor(
        name="Loudness Profile",
        description="The loudness delivery specification that audio.loudness.compliant and audio.loudness.gain.db "
        "refer to. ebu-r128: -23 LUFS within 0.5 LU, true peak at most -1 dBTP (EBU R 128). atsc-a85: -24 LKFS "
        "within 2 dB, true peak at most -2 dBTP (ATSC A/85:2013). streaming-14: -14 LUFS within 1 LU, true peak "
        "at most -1 dBTP (the streaming platforms' normalisation). custom: the three Custom properties.",
        required=True,
        # Literals: NiFi documents a Python processor from its source without running it (a unit test
        # checks them against attributes.LOUDNESS_PROFILES).
        default_value="ebu-r128",
        allowable_values=["ebu-r128", "atsc-a85", "streaming-14", "custom"],
    )
    CUSTOM_TARGET = PropertyDescriptor(
        name="Custom Target Loudness",
        description="The target integrated loudness, in LUFS from -69 to 0, when Loudness Profile is custom; "
        "ignored otherwise.",
        required=True,
        default_value="-23",
        validators=[StandardValidators.NUMBER_VALIDATOR],
    )
    CUSTOM_TRUE_PEAK = PropertyDescriptor(
        name="Custom Maximum True Peak",
        description="The highest true peak allowed, in dBTP from -20 to 3, when Loudness Profile is custom; "
        "ignored otherwise.",
        required=True,
        default_value="-1",
        validators=[StandardValidators.NUMBER_VALIDATOR],
    )
    CUSTOM_TOLERANCE = PropertyDescriptor(
        name="Custom Loudness Tolerance",
        description="How far, in LU from 0 to 10, the integrated loudness may lie from Custom Target Loudness "
        "when Loudness Profile is custom; ignored otherwise.",
        required=True,
        default_value="0.5",
        validators=[StandardValidators.NUMBER_VALIDATOR],
    )
    SUCCESS = Relationship("success", "The analysis form as content, with the format, level and loudness attributes.")

    def __init__(self, **kwargs):
        super().__init__()
        prepare_bridge(kwargs.get("jvm"))

    def getPropertyDescriptors(self):
        return [
            self.TARGET_RATE,
            self.MAX_DURATION,
            self.LOUDNESS_PROFILE,
            self.CUSTOM_TARGET,
            self.CUSTOM_TRUE_PEAK,
            self.CUSTOM_TOLERANCE,
        ]

    def getRelationships(self):
        return [self.SUCCESS, INVALID_AUDIO]

    def customValidate(self, context):
        problems = must_be_positive(context, self.MAX_DURATION)
        if context.getProperty(self.LOUDNESS_PROFILE).getValue() == loudness_profiles.CUSTOM:
            try:
                self._loudness_profile(context)
            except ValueError as error:
                # The message names the value; say which property holds it.
                descriptor = self._custom_descriptor(str(error))
                problems.append(invalid(descriptor, context.getProperty(descriptor).getValue(), str(error)))
        return problems

    def _loudness_profile(self, context):
        name = context.getProperty(self.LOUDNESS_PROFILE).getValue()
        if name != loudness_profiles.CUSTOM:
            return loudness_profiles.named(name)
        values = {}
        for key, descriptor in self._custom_properties().items():
            text = context.getProperty(descriptor).getValue()
            try:
                values[key] = float(text)
            except (TypeError, ValueError):
                raise ValueError(f"{key} must be a number, got {text!r}") from None
        return loudness_profiles.custom(**values)

    def _custom_properties(self):
        return {
            "target_lufs": self.CUSTOM_TARGET,
            "max_true_peak_dbtp": self.CUSTOM_TRUE_PEAK,
            "tolerance_lu": self.CUSTOM_TOLERANCE,
        }

    def _custom_descriptor(self, message):
        return next(d for key, d in self._custom_properties().items() if message.startswith(key))

    def onScheduled(self, context):
        metrics.configure(type(self).__name__)
        # Parsed once: asTimePeriod makes several py4j round trips, a quarter of the per-file cost.
        self.target_rate = context.getProperty(self.TARGET_RATE).asInteger()
        self.max_duration_s = seconds(context, self.MAX_DURATION)
        self.loudness_profile = self._loudness_profile(context)
        mark_scheduled(self)

    def onStopped(self, context):
        metrics.flush()

    def transform(self, context, flowfile):
        begin_attempt(self, context, flowfile, STAGE)
        try:
            with metrics.time_stage(STAGE):
                result = flow_steps.decode(
                    flowfile.getContentsAsBytes(),
                    target_rate=self.target_rate,
                    max_duration_s=self.max_duration_s,
                    filename=flowfile.getAttribute(attr.FILENAME),
                    loudness_profile=self.loudness_profile,
                )
        except Exception as error:  # every failure leaves with a reason, never as a bare exception
            return failure(self, flowfile, error)
        return FlowFileTransformResult("success", attributes=result.attributes, contents=result.content)
