"""The classifier: log-mel front end (plain TF ops, exported in the graph) and a compact CNN (Keras)."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from serving.model_contract import CLASS_NAMES, INPUT_ALIAS, OUTPUT_ALIAS, SAMPLE_RATE, WINDOW_SAMPLES

FRAME_LENGTH = 400  # 25 ms
FRAME_STEP = 160  # 10 ms
FFT_LENGTH = 512
N_MELS = 64
MEL_LOW_HZ = 60.0
MEL_HIGH_HZ = 7800.0
LOG_FLOOR = 1e-8
N_FRAMES = 1 + (WINDOW_SAMPLES - FRAME_LENGTH) // FRAME_STEP  # 98


def mel_matrix() -> tf.Tensor:
    """[257, N_MELS] mel filterbank."""
    return tf.signal.linear_to_mel_weight_matrix(
        num_mel_bins=N_MELS,
        num_spectrogram_bins=FFT_LENGTH // 2 + 1,
        sample_rate=SAMPLE_RATE,
        lower_edge_hertz=MEL_LOW_HZ,
        upper_edge_hertz=MEL_HIGH_HZ,
    )


def log_mel(waveform: tf.Tensor, mel: tf.Tensor) -> tf.Tensor:
    """[batch, 16000] float32 in [-1, 1] -> [batch, 98, 64] natural-log mel power (absolute level kept)."""
    stft = tf.signal.stft(waveform, FRAME_LENGTH, FRAME_STEP, FFT_LENGTH, window_fn=tf.signal.hann_window)
    power = tf.math.square(tf.math.abs(stft))
    return tf.math.log(tf.linalg.matmul(power, mel) + LOG_FLOOR)


def build_classifier(n_classes: int = len(CLASS_NAMES), width: int = 16, dropout: float = 0.3) -> tf.keras.Model:
    """A small CNN over normalised log-mel features [98, 64, 1]; outputs logits.

    The first layer pools pairs of 10 ms frames (20 ms resolution is plenty for one-second windows)
    which halves the cost of every convolution after it.
    """
    layers = tf.keras.layers
    inputs = tf.keras.Input(shape=(N_FRAMES, N_MELS, 1), name="features")
    x = layers.AveragePooling2D((2, 1), name="time_pool")(inputs)
    for i, mult in enumerate((1, 2, 4, 6)):
        x = layers.Conv2D(width * mult, 3, padding="same", use_bias=False, name=f"conv{i}")(x)
        x = layers.BatchNormalization(name=f"bn{i}")(x)
        x = layers.ReLU(name=f"relu{i}")(x)
        if i < 3:
            x = layers.MaxPooling2D(2, name=f"pool{i}")(x)
    avg = layers.GlobalAveragePooling2D(name="avg")(x)
    mx = layers.GlobalMaxPooling2D(name="max")(x)
    x = layers.Concatenate(name="pooled")([avg, mx])
    x = layers.Dropout(dropout, name="dropout")(x)
    x = layers.Dense(64, activation="relu", name="hidden")(x)
    outputs = layers.Dense(n_classes, name="logits")(x)
    return tf.keras.Model(inputs, outputs, name="audio_classifier")


class ServingModule(tf.Module):
    """What gets exported: raw 16 kHz windows in, class probabilities out."""

    def __init__(self, classifier: tf.keras.Model, feature_mean: float, feature_std: float) -> None:
        super().__init__(name="audio_classifier")
        self.classifier = classifier
        self.mel = tf.constant(mel_matrix())
        self.feature_mean = tf.constant(feature_mean, tf.float32)
        self.feature_std = tf.constant(feature_std, tf.float32)
        self.class_names = tf.constant(list(CLASS_NAMES))

    def features(self, waveform: tf.Tensor) -> tf.Tensor:
        feats = (log_mel(waveform, self.mel) - self.feature_mean) / self.feature_std
        return feats[..., tf.newaxis]

    @tf.function(input_signature=[tf.TensorSpec([None, WINDOW_SAMPLES], tf.float32, name=INPUT_ALIAS)])
    def serve(self, waveform: tf.Tensor) -> dict[str, tf.Tensor]:
        logits = self.classifier(self.features(waveform), training=False)
        return {OUTPUT_ALIAS: tf.nn.softmax(logits, axis=-1)}


def export(module: ServingModule, path: str) -> None:
    """Write a SavedModel whose serving_default signature is `serve`."""
    tf.saved_model.save(module, path, signatures={"serving_default": module.serve})


def features_numpy(waveforms: np.ndarray, batch: int = 512) -> np.ndarray:
    """Un-normalised log-mel features for training, computed with exactly the exported ops."""
    mel = mel_matrix()
    fn = tf.function(lambda w: log_mel(w, mel), input_signature=[tf.TensorSpec([None, WINDOW_SAMPLES], tf.float32)])
    out = np.empty((len(waveforms), N_FRAMES, N_MELS), np.float32)
    for i in range(0, len(waveforms), batch):
        out[i : i + batch] = fn(tf.constant(waveforms[i : i + batch].astype(np.float32))).numpy()
    return out
