"""Speech-to-text with Whisper (CTranslate2 via faster-whisper): the verified model files, the pieces a
long file is cut into at its pauses, the filter that keeps non-speech free of words, the transcriber,
its worker pool, and the subtitle formats. Plain modules: nothing here needs NiFi."""
