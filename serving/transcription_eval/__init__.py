"""Evaluation of the speech-to-text transcriber: WER and real-time factor per condition and language,
on a speech set built here from allowed sources (espeak-ng, Debian's Asterisk core sounds es/fr).
Run it with ./scripts/transcription-eval (--help)."""
