"""Real recordings (serving.training.debian_audio): reserved packages are refused, files labelled by rule."""

from __future__ import annotations

import pytest

from serving.training import debian_audio


def test_no_reserved_package_is_used_and_splits_are_disjoint() -> None:
    reserved = debian_audio.reserved_packages()
    assert debian_audio.RESERVED_FALLBACK <= reserved
    assert not set(debian_audio.TRAIN_PACKAGES) & reserved
    assert not set(debian_audio.EVAL_PACKAGES) & reserved
    assert not set(debian_audio.TRAIN_PACKAGES) & set(debian_audio.EVAL_PACKAGES)
    with pytest.raises(RuntimeError, match="reserved"):
        debian_audio.check_not_reserved(["asterisk-core-sounds-en-wav"])
    with pytest.raises(RuntimeError):
        debian_audio.fetch(["pingus-data"])


@pytest.mark.parametrize(
    ("rule", "path", "label"),
    [
        (debian_audio._asterisk, "/usr/share/asterisk/sounds/fr/silence/3.wav", "silence"),
        (debian_audio._asterisk, "/usr/share/asterisk/sounds/fr/beep.wav", "tone"),
        (debian_audio._asterisk, "/usr/share/asterisk/sounds/fr/ascending-2tone.wav", "tone"),
        (debian_audio._asterisk, "/usr/share/asterisk/sounds/fr/tt-monkeys.wav", "noise"),
        (debian_audio._asterisk, "/usr/share/asterisk/sounds/fr/digits/7.wav", "speech"),
        (debian_audio._game, "/usr/share/games/x/sounds/bgm1.ogg", "music"),
        (debian_audio._game, "/usr/share/games/x/sounds/hit.wav", "noise"),
        (debian_audio._linphone, "/usr/share/sounds/linphone/ringback.wav", "tone"),
        (debian_audio._linphone, "/usr/share/sounds/linphone/incoming_chat.wav", None),
    ],
)
def test_label_rules(rule, path: str, label: str | None) -> None:
    assert rule(path) == label
