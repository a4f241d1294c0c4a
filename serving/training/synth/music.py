"""Music sources: generated MIDI (a small writer) rendered by fluidsynth with a General MIDI soundfont."""

from __future__ import annotations

import struct
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from serving.model_contract import SAMPLE_RATE
from serving.training.synth.dsp import wav_bytes_to_array

SOUNDFONTS = (Path("/usr/share/sounds/sf2/FluidR3_GM.sf2"), Path("/usr/share/sounds/sf2/default-GM.sf2"))
TICKS = 480  # per quarter note

SCALES = {
    "major": (0, 2, 4, 5, 7, 9, 11),
    "minor": (0, 2, 3, 5, 7, 8, 10),
    "dorian": (0, 2, 3, 5, 7, 9, 10),
    "mixolydian": (0, 2, 4, 5, 7, 9, 10),
    "harmonic": (0, 2, 3, 5, 7, 8, 11),
    "pentatonic": (0, 2, 4, 7, 9, 12, 14),
    "blues": (0, 3, 5, 6, 7, 10, 12),
}
PROGRESSIONS = ((0, 4, 5, 3), (0, 5, 3, 4), (0, 3, 4, 4), (5, 3, 0, 4), (0, 0, 3, 4), (1, 4, 0, 0), (0, 6, 5, 4))

# General MIDI program groups (0-based) that sound like instruments; 120-127 are sound effects.
MELODY = (*range(0, 8), *range(8, 16), *range(16, 24), *range(24, 32), *range(40, 48), *range(56, 88), 104, 105)
HARMONY = (*range(0, 8), *range(16, 24), 24, 25, 26, 27, 29, 30, *range(48, 56), *range(88, 96), 61, 62)
BASS = (*range(32, 40), 42, 43, 58, 70)
EFFECT_PROGRAMS = (120, 121, 122, 123, 125, 126, 127)  # fret noise, breath, seashore, birds, helicopter...


def _vlq(value: int) -> bytes:
    """MIDI variable-length quantity."""
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


@dataclass
class Track:
    """Events as (absolute tick, raw bytes)."""

    events: list[tuple[int, bytes]] = field(default_factory=list)

    def program(self, channel: int, program: int) -> None:
        self.events.append((0, bytes([0xC0 | channel, program & 0x7F])))

    def control(self, channel: int, number: int, value: int, tick: int = 0) -> None:
        self.events.append((tick, bytes([0xB0 | channel, number & 0x7F, value & 0x7F])))

    def note(self, channel: int, tick: int, length: int, pitch: int, velocity: int) -> None:
        if not 0 <= pitch <= 127:
            return
        velocity = int(min(127, max(1, velocity)))
        self.events.append((tick, bytes([0x90 | channel, pitch, velocity])))
        self.events.append((tick + max(1, length), bytes([0x80 | channel, pitch, 0])))

    def encode(self) -> bytes:
        data = bytearray()
        last = 0
        # Note-offs sort before note-ons at the same tick so repeated notes retrigger.
        for tick, ev in sorted(self.events, key=lambda e: (e[0], e[1][0] & 0xF0 != 0x80)):
            data += _vlq(tick - last) + ev
            last = tick
        data += b"\x00\xff\x2f\x00"
        return b"MTrk" + struct.pack(">I", len(data)) + bytes(data)


def midi_file(tracks: list[Track], bpm: float) -> bytes:
    """A type-1 Standard MIDI File; the tempo goes in the first (conductor) track."""
    tempo = Track()
    tempo.events.append((0, b"\xff\x51\x03" + int(60_000_000 / bpm).to_bytes(3, "big")))
    all_tracks = [tempo, *tracks]
    header = b"MThd" + struct.pack(">IHHH", 6, 1, len(all_tracks), TICKS)
    return header + b"".join(t.encode() for t in all_tracks)


def _drums(rng: np.random.Generator, track: Track, bars: int, beats: int, humanise: float) -> None:
    style = rng.integers(4)
    hat = int(rng.choice([42, 42, 44, 46, 51, 53]))
    for bar in range(bars):
        for step in range(beats * 4):  # sixteenth notes
            t = (bar * beats * 4 + step) * TICKS // 4 + int(rng.normal(0, humanise))
            t = max(0, t)
            beat, sub = divmod(step, 4)
            if sub == 0 and (beat == 0 or (style in (0, 2) and beat == 2) or (style == 3 and rng.random() < 0.5)):
                track.note(9, t, 60, 36, rng.integers(90, 120))
            if sub == 0 and beat % 2 == 1 and style != 1:
                track.note(9, t, 60, int(rng.choice([38, 38, 40, 39])), rng.integers(80, 115))
            if (style != 1 and sub % 2 == 0) or (style == 1 and sub == 0) or rng.random() < 0.08:
                track.note(9, t, 40, hat, rng.integers(45, 95))
            if rng.random() < 0.04:
                track.note(9, t, 60, int(rng.choice([45, 47, 48, 50, 49, 57])), rng.integers(70, 110))


def random_song(rng: np.random.Generator, seconds: float) -> tuple[bytes, float]:
    """A random piece: progression, optional drums, bass, harmony and melody (or a solo instrument)."""
    bpm = float(rng.uniform(60, 180))
    beats = int(rng.choice([4, 4, 4, 3, 6]))
    bars = int(np.ceil(seconds * bpm / 60 / beats)) + 1
    root = int(rng.integers(40, 52))
    scale = SCALES[list(SCALES)[rng.integers(len(SCALES))]]
    prog = PROGRESSIONS[rng.integers(len(PROGRESSIONS))]
    humanise = float(rng.uniform(0, 20))
    bar_ticks = beats * TICKS
    arrangement = rng.choice(
        ["band", "band", "band", "solo", "ensemble", "drums_only"], p=[0.3, 0.2, 0.15, 0.15, 0.15, 0.05]
    )
    tracks: list[Track] = []

    def chord_pitches(degree: int) -> list[int]:
        return [root + 12 + scale[(degree + k) % 7] + 12 * ((degree + k) // 7) for k in (0, 2, 4)]

    if arrangement in ("band", "drums_only") and rng.random() < 0.85:
        drums = Track()
        _drums(rng, drums, bars, beats, humanise)
        tracks.append(drums)
    if arrangement == "band":
        bass = Track()
        bass.program(1, int(rng.choice(BASS)))
        for bar in range(bars):
            deg = prog[bar % len(prog)]
            for beat in range(beats):
                if rng.random() < 0.8:
                    p = root - 12 + scale[deg % 7] + (7 if beat % 2 and rng.random() < 0.3 else 0)
                    bass.note(1, bar * bar_ticks + beat * TICKS, TICKS * 9 // 10, p, rng.integers(80, 110))
        tracks.append(bass)
    if arrangement in ("band", "ensemble", "solo"):
        n_harm = 0 if arrangement == "solo" and rng.random() < 0.5 else (2 if arrangement == "ensemble" else 1)
        for h in range(n_harm):
            harm = Track()
            ch = 2 + h
            harm.program(ch, int(rng.choice(HARMONY)))
            harm.control(ch, 91, int(rng.integers(0, 100)))
            style = rng.integers(3)  # 0 sustained, 1 arpeggio, 2 rhythm
            for bar in range(bars):
                notes = chord_pitches(prog[bar % len(prog)])
                t0 = bar * bar_ticks
                if style == 0:
                    for p in notes:
                        harm.note(ch, t0, bar_ticks - 10, p, rng.integers(55, 90))
                elif style == 1:
                    for i in range(beats * 2):
                        harm.note(
                            ch, t0 + i * TICKS // 2, TICKS // 2, notes[i % 3] + 12 * (i // 3 % 2), rng.integers(55, 95)
                        )
                else:
                    for beat in range(beats):
                        for p in notes:
                            harm.note(ch, t0 + beat * TICKS, TICKS // 2, p, rng.integers(60, 100))
            tracks.append(harm)
    if arrangement in ("band", "ensemble", "solo"):
        for m in range(1 if arrangement != "ensemble" else 2):
            mel = Track()
            ch = 4 + m
            mel.program(ch, int(rng.choice(MELODY)))
            mel.control(ch, 91, int(rng.integers(0, 110)))
            t = 0
            idx = int(rng.integers(7, 12))
            total = bars * bar_ticks
            while t < total:
                dur = int(rng.choice([TICKS // 4, TICKS // 2, TICKS // 2, TICKS, TICKS, TICKS * 2, TICKS * 3 // 2]))
                if rng.random() < 0.85:
                    idx = int(np.clip(idx + rng.integers(-3, 4), 0, 16))
                    p = root + 12 + 12 * (idx // 7) + scale[idx % 7] + 12 * m
                    mel.note(
                        ch,
                        t + int(rng.normal(0, humanise)) if t else 0,
                        int(dur * rng.uniform(0.6, 1.0)),
                        p,
                        rng.integers(60, 115),
                    )
                    if arrangement == "solo" and rng.random() < 0.3:  # a solo piano/guitar plays chords too
                        for q in chord_pitches(prog[(t // bar_ticks) % len(prog)]):
                            mel.note(ch, t, dur, q - 12, rng.integers(40, 80))
                t += dur
            tracks.append(mel)
    return midi_file(tracks, bpm), bpm


def effect_midi(rng: np.random.Generator, seconds: float) -> bytes:
    """Notes on the General MIDI sound-effect programs (seashore, birds, helicopter, applause, gunshot)."""
    track = Track()
    program = int(rng.choice(EFFECT_PROGRAMS))
    track.program(0, program)
    t = 0
    total = int(seconds * 2 * TICKS)
    while t < total:
        dur = int(rng.uniform(0.2, 3.0) * 2 * TICKS)
        track.note(0, t, dur, int(rng.integers(36, 84)), rng.integers(60, 127))
        t += int(dur * rng.uniform(0.3, 1.2))
    return midi_file([track], 120.0)


def render(midi: bytes, seconds: float, rng: np.random.Generator) -> np.ndarray:
    """Render MIDI with fluidsynth at 16 kHz, trimmed to `seconds`."""
    font = next((f for f in SOUNDFONTS if f.exists()), None)
    if font is None:
        raise FileNotFoundError("no General MIDI soundfont: apt-get install fluid-soundfont-gm")
    with tempfile.TemporaryDirectory() as tmp:
        mid = Path(tmp) / "song.mid"
        wav = Path(tmp) / "song.wav"
        mid.write_bytes(midi)
        subprocess.run(
            [
                "fluidsynth",
                "-ni",
                "-q",
                "-g",
                f"{rng.uniform(0.3, 0.8):.2f}",
                "-r",
                str(SAMPLE_RATE),
                "-R",
                "1" if rng.random() < 0.7 else "0",
                "-C",
                "1" if rng.random() < 0.5 else "0",
                "-F",
                str(wav),
                "-T",
                "wav",
                str(font),
                str(mid),
            ],
            capture_output=True,
            check=True,
            timeout=300,
        )
        x, rate = wav_bytes_to_array(wav.read_bytes())
    assert rate == SAMPLE_RATE
    return x[: int(seconds * SAMPLE_RATE)]


def music_source(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """A rendered random piece of about `seconds`, starting a little in (skips the silent lead-in)."""
    midi, _ = random_song(rng, seconds + 1.0)
    x = render(midi, seconds + 1.0, rng)
    return x[int(0.3 * SAMPLE_RATE) :]


def effect_source(rng: np.random.Generator, seconds: float) -> np.ndarray:
    """A rendered General MIDI sound-effect sequence."""
    return render(effect_midi(rng, seconds), seconds, rng)
