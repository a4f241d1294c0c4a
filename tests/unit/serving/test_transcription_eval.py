"""The transcription evaluation (serving.transcription_eval) without a model: normalisation and WER,
SNR mixing, the Asterisk prompt parser and sampler, reserved-package refusal, scoring and targets."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from serving.transcription_eval import corpus, plan, report, signals
from serving.transcription_eval.normalise import WordErrors, normalise, word_errors
from serving.transcription_eval.numbers import spell

# ------------------------------------------------------------------------------------------------
# Normalisation


@pytest.mark.parametrize(
    ("text", "language", "expected"),
    [
        ("The Quick, brown fox!", "en", "the quick brown fox"),
        ("  several   spaces\tand\nlines ", "en", "several spaces and lines"),
        ("We need 4 more chairs.", "en", "we need four more chairs"),
        ("It costs 1,250 dollars", "en", "it costs one thousand two hundred fifty dollars"),
        ("Marque 1 para salir.", "es", "marque uno para salir"),
        ("¿Dónde está el número?", "es", "dónde está el número"),  # accents kept
        ("Compramos 1.000 naranjas", "es", "compramos mil naranjas"),
        ("appuyez sur 7 ou 9", "fr", "appuyez sur sept ou neuf"),
        ("Pour l'aide, appuyez sur dièse.", "fr", "pour l aide appuyez sur dièse"),
        ("pour ré-enregistrer", "fr", "pour réenregistrer"),
        ("“Pour activer” — merci…", "fr", "pour activer merci"),
        ("Audio 3D activé", "fr", "audio trois d activé"),
        ("Wir haben 3 Kilo gekauft.", "de", "wir haben drei kilo gekauft"),
        ("Die Straße ist GROSS", "de", "die straße ist gross"),
        ("10 % of #5", "en", "ten of five"),
    ],
)
def test_normalise(text: str, language: str, expected: str) -> None:
    assert normalise(text, language) == expected


def test_fold_accents_removes_only_the_marks() -> None:
    assert normalise("Contraseña, número, él, Über, sœur", "es", fold_accents=True) == "contrasena numero el uber sœur"
    assert normalise("número", "es") != normalise("numero", "es")


@pytest.mark.parametrize(
    ("n", "language", "words"),
    [
        (0, "en", "zero"),
        (21, "en", "twenty one"),
        (115, "en", "one hundred fifteen"),
        (2024, "en", "two thousand twenty four"),
        (16, "es", "dieciséis"),
        (21, "es", "veintiuno"),
        (35, "es", "treinta y cinco"),
        (100, "es", "cien"),
        (101, "es", "ciento uno"),
        (1000, "es", "mil"),
        (2500, "es", "dos mil quinientos"),
        (21, "fr", "vingt et un"),
        (71, "fr", "soixante et onze"),
        (77, "fr", "soixante-dix-sept"),
        (80, "fr", "quatre-vingts"),
        (91, "fr", "quatre-vingt-onze"),
        (200, "fr", "deux cents"),
        (201, "fr", "deux cent un"),
        (1000, "fr", "mille"),
        (21, "de", "einundzwanzig"),
        (101, "de", "einhunderteins"),
        (1999, "de", "eintausendneunhundertneunundneunzig"),
        (7, "xx", "7"),
    ],
)
def test_spell(n: int, language: str, words: str) -> None:
    assert spell(n, language) == words


def test_digits_and_words_compare_equal() -> None:
    assert word_errors("Marque 8 para salir", "marque ocho para salir.", "es") == WordErrors(4, 0, 0, 0)
    assert word_errors("quatre-vingt-onze", "91", "fr").errors == 0


def test_word_errors_counts_and_rate() -> None:
    e = word_errors("the cat sat on the mat", "The cat sat on a mat today.", "en")
    assert (e.reference_words, e.substitutions, e.deletions, e.insertions) == (6, 1, 0, 1)
    assert e.wer == pytest.approx(2 / 6)
    assert word_errors("one two three", "", "en") == WordErrors(3, 0, 3, 0)
    total = e + word_errors("one two three", "", "en")
    assert total.wer == pytest.approx(5 / 9)
    assert WordErrors().wer is None
    with pytest.raises(ValueError, match="no words"):
        word_errors(" ... ", "something", "en")


def test_accents_count_unless_folded() -> None:
    assert word_errors("tecla de numero", "tecla de número", "es").substitutions == 1
    assert word_errors("tecla de numero", "tecla de número", "es", fold_accents=True).errors == 0


# ------------------------------------------------------------------------------------------------
# Signals


def _speech_like(seconds: float = 3.0) -> np.ndarray:
    """Bursts of a modulated tone complex with silence before, between and after (like an utterance)."""
    t = np.arange(int(seconds * signals.RATE)) / signals.RATE
    x = sum(np.sin(2 * np.pi * f * t) for f in (180, 360, 720, 1500)) * (0.5 + 0.5 * np.sin(2 * np.pi * 4 * t))
    x[(t < 0.4) | ((t > 1.3) & (t < 1.6)) | (t > 2.6)] = 0.0
    return signals.set_speech_level(x)


@pytest.mark.parametrize("kind", ["white", "pink"])
@pytest.mark.parametrize("snr", [20.0, 10.0, 0.0, -5.0])
def test_mix_at_snr_gives_the_requested_snr(kind: str, snr: float) -> None:
    speech = _speech_like()
    noise = signals.NOISES[kind](len(speech), seed=7)
    mix = signals.mix_at_snr(speech, noise, snr)
    assert abs(signals.snr_db(mix.speech, mix.noise) - snr) < 0.1
    np.testing.assert_allclose(mix.mixed, mix.speech + mix.noise, atol=1e-6)
    assert np.max(np.abs(mix.mixed)) <= signals.PEAK_LIMIT + 1e-6
    assert mix.mixed.dtype == np.float32 and len(mix.mixed) == len(speech)


def test_loud_mix_is_scaled_down_without_changing_the_snr() -> None:
    speech = _speech_like() * np.float32(3.0)  # peaks far above full scale
    mix = signals.mix_at_snr(speech, signals.white_noise(len(speech), 1), 0.0)
    assert np.max(np.abs(mix.mixed)) <= signals.PEAK_LIMIT + 1e-6
    assert abs(signals.snr_db(mix.speech, mix.noise) - 0.0) < 0.1


def test_active_power_ignores_silence_and_noise_is_seeded() -> None:
    x = _speech_like()
    padded = np.concatenate([np.zeros(signals.RATE * 5, np.float32), x])
    assert signals.db(signals.active_power(padded)) == pytest.approx(signals.db(signals.active_power(x)), abs=0.05)
    assert signals.db(signals.active_power(x)) == pytest.approx(signals.SPEECH_LEVEL_DBFS, abs=0.05)
    np.testing.assert_array_equal(signals.pink_noise(1000, 3), signals.pink_noise(1000, 3))
    assert not np.array_equal(signals.pink_noise(1000, 3), signals.pink_noise(1000, 4))
    assert signals.mean_power(signals.pink_noise(50_000, 3)) == pytest.approx(1.0)


def test_pink_noise_falls_3_db_per_octave() -> None:
    x = signals.pink_noise(signals.RATE * 20, 5)
    spectrum = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1 / signals.RATE)

    def band(lo: float) -> float:
        return float(spectrum[(f >= lo) & (f < 2 * lo)].sum())

    assert 10 * np.log10(band(1000) / band(2000)) == pytest.approx(0.0, abs=0.5)  # equal power per octave
    assert 10 * np.log10(spectrum[(f > 990) & (f < 1010)].mean() / spectrum[(f > 1990) & (f < 2010)].mean()) == (
        pytest.approx(3.0, abs=0.7)
    )


def test_non_speech_clips_are_fixed_and_bounded() -> None:
    clips = signals.non_speech_clips(1.0)
    kinds = [k for k, _ in clips]
    assert any("music" in k for k in kinds) and "digital silence" in kinds and any("hum" in k for k in kinds)
    assert any("white" in k for k in kinds) and any("pink" in k for k in kinds)
    for kind, x in clips:
        assert len(x) == signals.RATE and x.dtype == np.float32, kind
        assert np.max(np.abs(x)) <= 1.0, kind
    again = signals.non_speech_clips(1.0)
    for (_, a), (_, b) in zip(clips, again, strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg not installed")
@pytest.mark.parametrize("codec", ["mulaw", "gsm"])
def test_telephone_round_trip_keeps_length_and_removes_the_high_band(codec: str) -> None:
    if codec == "gsm" and not signals.ffmpeg_has_encoder("libgsm"):
        pytest.skip("ffmpeg has no libgsm")
    t = np.arange(signals.RATE) / signals.RATE
    x = (0.3 * np.sin(2 * np.pi * 1000 * t) + 0.3 * np.sin(2 * np.pi * 6000 * t)).astype(np.float32)
    y = signals.telephone(x, codec)
    assert len(y) == len(x)
    spectrum = np.abs(np.fft.rfft(y[2000:-2000]))
    f = np.fft.rfftfreq(len(y) - 4000, 1 / signals.RATE)
    assert spectrum[np.argmin(abs(f - 1000))] > 30 * spectrum[np.argmin(abs(f - 6000))]


# ------------------------------------------------------------------------------------------------
# Corpus


def test_parse_prompts() -> None:
    lines = [
        "; Core Asterisk Sounds in Spanish",
        "",
        "agent-pass: Por favor ingrese su contrasena seguida por la tecla de numero",
        "beep: [tono simple]",
        "digits/0: cero",
        "digits/0: diez",  # listed twice with different texts: dropped
        "dir-welcome:",  # no text
        "vm-review: Pour accepter: appuyez sur 1.",  # a colon inside the text
        "dictate/both_help:   Presione el asterisco.  ",
        "not a prompt line",
    ]
    assert corpus.parse_prompts(lines) == {
        "agent-pass": "Por favor ingrese su contrasena seguida por la tecla de numero",
        "beep": "[tono simple]",
        "vm-review": "Pour accepter: appuyez sur 1.",
        "dictate/both_help": "Presione el asterisco.",
    }


@pytest.mark.parametrize(
    ("text", "usable"),
    [
        ("Por favor ingrese su contrasena seguida por la tecla de numero", True),
        ("Agente desconectado", False),  # too few words
        ("[tono simple]", False),
        ("(beep)", False),
        ("...para bloquear o desbloquear la conferencia.", False),  # a fragment
        ("Pour tout l'aide, appuyez sur 0.", True),
        (" ".join(["palabra"] * 21), False),  # too long
    ],
)
def test_usable_text(text: str, usable: bool) -> None:
    assert corpus.usable_text(text, "es") is usable


def test_sample_order_is_deterministic_and_independent_of_input_order() -> None:
    names = [f"prompt-{i}" for i in range(50)]
    order = corpus.sample_order("fr", names)
    assert sorted(order) == sorted(names)
    assert corpus.sample_order("fr", list(reversed(names))) == order
    assert order != names and corpus.sample_order("es", names) != order


@pytest.mark.parametrize(
    "package",
    [
        "asterisk-core-sounds-en-wav",
        "asterisk-core-sounds-en-gsm",
        "asterisk-core-sounds-en-g722",
        "asterisk-core-sounds-en",
        "pingus-data",
        "alsa-utils",
    ],
)
def test_reserved_recordings_are_refused(package: str) -> None:
    with pytest.raises(RuntimeError, match="reserved"):
        corpus.check_allowed(["asterisk-core-sounds-fr", package])


def test_allowed_packages_pass_and_english_is_refused_before_any_download(monkeypatch) -> None:
    corpus.check_allowed(["asterisk-core-sounds-es", "asterisk-core-sounds-es-wav", "asterisk-core-sounds-fr-wav"])

    def no_fetch(*args, **kwargs):
        raise AssertionError("fetch must not be reached")

    monkeypatch.setattr(corpus.debian_audio, "fetch", no_fetch)
    with pytest.raises(RuntimeError, match="reserved"):
        corpus.real("en", 5)


def _utterance(uid: str, seconds: float, text: str) -> corpus.Utterance:
    return corpus.Utterance(uid, "real", "fr_CA_f_June", "fr", text, np.ones(int(seconds * signals.RATE), np.float32))


def test_concatenate_reaches_the_length_and_keeps_the_text_in_order() -> None:
    parts = [_utterance("fr/a", 2.0, "Bonjour à tous."), _utterance("fr/b", 3.0, "Merci beaucoup.")]
    long = corpus.concatenate(parts, 20.0, seed=1)
    assert long.seconds >= 20.0
    n = long.text.count("Bonjour") + long.text.count("Merci")
    assert long.text.startswith("Bonjour à tous. Merci beaucoup. Bonjour") and n >= 4
    assert long.group == "real fr"
    np.testing.assert_array_equal(corpus.concatenate(parts, 20.0, seed=1).samples, long.samples)


# ------------------------------------------------------------------------------------------------
# Scoring, rows and targets


def _item(condition: str, group: str, language: str | None, reference: str | None, fold: bool = False) -> plan.Item:
    return plan.Item(condition, group, f"{group}/x", language, reference, np.zeros(signals.RATE * 2, np.float32), fold)


def test_scoring_rows_and_targets() -> None:
    scored = [
        report.score(
            _item("clean", "real es", "es", "marque el numero que desea", True),
            "Marque el número que desea.",
            "es",
            1.0,
            1.0,
        ),
        report.score(
            _item("clean", "real fr", "fr", "vous avez entré une option invalide"),
            "Vous avez entré une option invalid.",
            "fr",
            1.0,
            1.0,
        ),
        report.score(_item("telephone GSM", "real fr", "fr", "appuyez sur 1"), "appuyez sur un", "fr", 0.5, 0.5),
        report.score(_item(plan.NON_SPEECH, "digital silence", None, None), "", "en", 0.0, 0.0),
        report.score(_item(plan.NON_SPEECH, "pink noise", None, None), "Thank you.", "en", 0.0, 0.0),
    ]
    rows = {(r.condition, r.group): r for r in report.rows(scored)}
    assert rows[("clean", "real es")].errors.wer == 0.0  # scored without accents: its reference has none
    assert rows[("clean", "real fr")].errors.wer == pytest.approx(1 / 6)
    assert rows[("clean", "total")].errors.reference_words == 11
    assert rows[("clean", "total")].rtf == pytest.approx(0.5)
    assert rows[(plan.NON_SPEECH, "total")].non_speech_words == 2
    assert rows[("all", "total")].utterances == 5
    targets = {t.name: t.passed for t in report.targets(scored)}
    assert targets == {
        "clean, real es": True,
        "clean, real fr": False,
        "telephone GSM, real fr": True,
        "no words on digital silence": True,
        "no words on pink noise": False,
    }
    text = report.table(report.rows(scored))
    assert "real fr" in text and "16.7" in text
    assert "FAIL" in report.targets_text(report.targets(scored))
