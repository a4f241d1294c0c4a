"""Name the audio format of untrusted bytes from their leading bytes, before any decoder sees them.

Input comes from the outside world, so nothing is handed to a decoder before its container or
codec signature has been recognised. Permissive decoders (ffmpeg, mpg123) happily find "frames" in
random bytes; a signature, or for header-less MPEG/ADTS streams a chain of consistent frame headers
(`mpeg_frames`), is much harder to hit by accident. Input that is recognisably something else
(executables, archives, images, text) is named in the refusal.

Headerless telephony files have no signature at all; only when nothing at all is recognised in the
leading bytes (neither audio nor a non-audio kind) does the file name's extension name one of them
(`headerless`: .gsm, .ulaw/.mu, .alaw, .sln).

Format labels (`DecodedAudio.format`): wav, w64, aiff, caf, au, flac, ogg (Vorbis), opus, mp3, mp2,
mp1, m4a, mp4, 3gp, mov, aac, webm, mka, wma, amr, ogg-flac, speex, ape, wavpack; and, from the
extension, gsm (GSM 06.10), mulaw (G.711 µ-law), alaw (G.711 A-law), sln (8 kHz 16-bit linear).
"""

from __future__ import annotations

from audio_pipeline.decoding.headerless import format_for_filename
from audio_pipeline.decoding.mpeg_frames import adts_chain_ok, mpeg_chain_format, skip_id3v2_tags
from audio_pipeline.errors import CorruptAudioError, EmptyInputError, NotAudioError

_W64_RIFF_GUID = b"riff\x2e\x91\xcf\x11\xa5\xd6\x28\xdb\x04\xc1\x00\x00"
_ASF_GUID = b"\x30\x26\xb2\x75\x8e\x66\xcf\x11\xa6\xd9\x00\xaa\x00\x62\xce\x6c"
_EBML_MAGIC = b"\x1a\x45\xdf\xa3"

_NON_AUDIO_SIGNATURES: tuple[tuple[bytes, str], ...] = (
    (b"\x7fELF", "an ELF executable"),
    (b"MZ", "a Windows/DOS executable"),
    (b"\xca\xfe\xba\xbe", "a Mach-O or Java class file"),
    (b"\xcf\xfa\xed\xfe", "a Mach-O executable"),
    (b"#!", "a script"),
    (b"%PDF", "a PDF document"),
    (b"PK\x03\x04", "a ZIP archive"),
    (b"\x1f\x8b", "gzip-compressed data"),
    (b"BZh", "bzip2-compressed data"),
    (b"\xfd7zXZ\x00", "xz-compressed data"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-Zip archive"),
    (b"\x89PNG", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF8", "a GIF image"),
    (b"MThd", "a MIDI file (note events, not sampled audio)"),
    (b"RIFF", "a RIFF file that is not WAVE audio"),
    (b"FORM", "an IFF file that is not AIFF audio"),
)
_UNRECOGNISED = "no recognised audio container or codec signature in the leading bytes"


def sniff_format(data: bytes, filename: str | None = None) -> str:
    """Name the audio container/codec from the leading bytes, or raise `NotAudioError`.

    Only if the bytes match no signature at all, audio or not, does the extension of `filename` name
    a headerless telephony format. Empty input raises `EmptyInputError`: the one place that check is made.
    """
    if len(data) == 0:
        raise EmptyInputError("input is empty (0 bytes)")
    found = _sniff_at(data, skip_id3v2_tags(data))
    if found is not None:
        return found
    described = _describe_non_audio(data)
    if described == _UNRECOGNISED:
        headerless = format_for_filename(filename)
        if headerless is not None:
            return headerless
    raise NotAudioError(described)


def _sniff_at(data: bytes, offset: int) -> str | None:
    head = data[offset : offset + 64]
    if offset == 0:
        if head[:4] in (b"RIFF", b"RIFX", b"RF64", b"BW64") and head[8:12] == b"WAVE":
            return "wav"
        if head[:16] == _W64_RIFF_GUID:
            return "w64"
        if head[:4] == b"FORM" and head[8:12] in (b"AIFF", b"AIFC"):
            return "aiff"
        if head[:4] == b"caff":
            return "caf"
        if head[:4] == b".snd":
            return "au"
        if head[:4] == b"OggS":
            return _sniff_ogg(data)
        if head[4:8] == b"ftyp":
            return _sniff_mp4_brand(head[8:12])
        if head[:16] == _ASF_GUID:
            return "wma"
        if head[:4] == _EBML_MAGIC:
            return "webm" if b"webm" in data[:64] else "mka"
        if head[:6] == b"#!AMR\n" or head[:9] == b"#!AMR-WB\n":
            return "amr"
        if head[:4] == b"MAC ":
            return "ape"
        if head[:4] == b"wvpk":
            return "wavpack"
    if head[:4] == b"fLaC":
        return "flac"
    if len(head) >= 4 and head[0] == 0xFF:
        mpeg = mpeg_chain_format(data, offset)
        if mpeg is not None:
            return mpeg
        if adts_chain_ok(data, offset):
            return "aac"
    return None


def _sniff_ogg(data: bytes) -> str:
    """Ogg is a container; the first packet of the first page names the codec."""
    if len(data) < 28:
        raise CorruptAudioError("Ogg stream is cut off inside its first page header")
    nsegs = data[26]
    body_start = 27 + nsegs
    packet = data[body_start : body_start + 16]
    if packet.startswith(b"\x01vorbis"):
        return "ogg"
    if packet.startswith(b"OpusHead"):
        return "opus"
    if packet.startswith(b"\x7fFLAC"):
        return "ogg-flac"
    if packet.startswith(b"Speex   "):
        return "speex"
    if len(packet) < 8:
        raise CorruptAudioError("Ogg stream is cut off inside its first page")
    raise NotAudioError("Ogg container without a supported audio codec (Vorbis, Opus, FLAC, Speex)")


def _sniff_mp4_brand(brand: bytes) -> str:
    if brand in (b"M4A ", b"M4B ", b"M4P "):
        return "m4a"
    if brand.startswith(b"3g"):
        return "3gp"
    if brand == b"qt  ":
        return "mov"
    return "mp4"


def _describe_non_audio(data: bytes) -> str:
    for magic, what in _NON_AUDIO_SIGNATURES:
        if data.startswith(magic):
            return f"input is {what}, not audio"
    if _looks_like_text(data[:8192]):
        return "input is text, not audio"
    return _UNRECOGNISED


def _looks_like_text(head: bytes) -> bool:
    if not head or b"\x00" in head:
        return False
    try:
        head.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start < len(head) - 4:  # a multi-byte character cut at the end is fine
            return False
    printable = sum(1 for b in head if b >= 0x20 or b in (0x09, 0x0A, 0x0D))
    return printable >= 0.98 * len(head)
