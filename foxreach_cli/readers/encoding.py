"""Choosing a text file's encoding and proving the whole file decodes with it.

The file is decoded once in 1 MB blocks before anything is parsed (ASCII blocks are skipped
at memory speed), so a bad byte is reported up front, never halfway through an import.
"""

from __future__ import annotations

import codecs
import contextlib
import re
from pathlib import Path

from foxreach_cli.errors import InputError
from foxreach_cli.readers.base import (
    BLOCK_BYTES,
    SAMPLE_BYTES,
    open_binary,
)

_BOMS = (  # longest first: the UTF-32 LE BOM starts with the UTF-16 LE one
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)


# Latin-script single-byte code pages: when charset-normalizer names one of these (or
# cannot decide), the file is read as cp1252, which is what Excel on Windows writes.
_WESTERN = frozenset(
    codecs.lookup(name).name
    for name in (
        "cp1252", "latin-1", "iso8859-15", "cp1250", "cp1254", "cp1257", "mac-roman",
        "mac-latin2", "cp437", "cp850", "cp858", "cp775", "iso8859-2", "iso8859-3",
        "iso8859-4", "iso8859-9", "iso8859-10", "iso8859-13", "iso8859-14", "iso8859-16",
    )
)  # fmt: skip


def decide_encoding(
    path: Path, name: str, head: bytes, given: str | None
) -> tuple[str, int, str, bool, int]:
    """Pick the codec and verify the whole file decodes with it.

    Returns (codec, bytes to skip for the BOM, label for SourceInfo, has NUL, quote count).
    """
    bom_codec, bom_len = bom_of(head)
    if given is not None:
        codec, skip = given, 0
        family = next((f for f in ("utf-8", "utf-16", "utf-32") if given.startswith(f)), None)
        if family is not None and bom_codec is not None and bom_codec.startswith(family):
            codec, skip = bom_codec, bom_len  # the BOM tells the byte order; drop it
        try:
            nul, quotes = _verify(path, name, codec, skip)
        except _DecodeFailure as fail:
            raise InputError(
                f"{name} is not valid {given} (byte 0x{fail.byte:02X} at offset "
                f"{fail.offset}); pass --encoding with the file's real encoding."
            ) from None
        return codec, skip, given, nul, quotes
    if bom_codec is not None:
        label = "utf-8-sig" if bom_codec == "utf-8" else bom_codec
        try:
            nul, quotes = _verify(path, name, bom_codec, bom_len)
        except _DecodeFailure as fail:
            raise InputError(
                f"{name} starts with a {bom_codec.upper()} byte-order mark but is not valid "
                f"{bom_codec.upper()} (byte 0x{fail.byte:02X} at offset {fail.offset}); "
                "pass --encoding with the file's real encoding."
            ) from None
        return bom_codec, bom_len, label, nul, quotes
    wide = utf16_without_bom(head)
    if wide is not None:
        with contextlib.suppress(_DecodeFailure):
            nul, quotes = _verify(path, name, wide, 0)
            return wide, 0, wide, nul, quotes
    try:
        nul, quotes = _verify(path, name, "utf-8", 0)
        return "utf-8", 0, "utf-8", nul, quotes
    except _DecodeFailure as fail:
        utf8_failure = fail
    if _has_utf8_sequences(path, name):
        # Real UTF-8 text with a few bad bytes: reading it all as cp1252 would silently
        # garble every accented letter that is correct, so refuse and say where.
        raise InputError(
            f"{name} is UTF-8 text with bytes that are not valid UTF-8 (byte "
            f"0x{utf8_failure.byte:02X} at offset {utf8_failure.offset}, line "
            f"{_line_of(path, name, utf8_failure.offset)}); fix or remove those bytes, "
            "or pass --encoding with the file's real encoding such as cp1252."
        )
    for codec in _legacy_candidates(path, name, utf8_failure.offset):
        with contextlib.suppress(_DecodeFailure):
            nul, quotes = _verify(path, name, codec, 0)
            return codec, 0, codec, nul, quotes
    raise InputError(
        f"{name} is not valid UTF-8 (byte 0x{utf8_failure.byte:02X} at offset "
        f"{utf8_failure.offset}); pass --encoding cp1252 or the file's encoding."
    )


class _DecodeFailure(Exception):
    def __init__(self, offset: int, byte: int) -> None:
        super().__init__(offset, byte)
        self.offset = offset
        self.byte = byte


def _verify(path: Path, name: str, codec: str, skip: int) -> tuple[bool, int]:
    """Decode the whole file (from ``skip``) in blocks; return (has NUL, quote count).

    Raises _DecodeFailure with the absolute offset of the first bad byte.
    """
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    ascii_compatible = not codec.startswith(("utf-16", "utf-32"))
    has_nul = False
    quotes = 0
    position = skip
    with open_binary(path, name) as handle:
        handle.seek(skip)
        while True:
            block = handle.read(BLOCK_BYTES)
            final = not block
            pending = len(decoder.getstate()[0])
            if ascii_compatible:
                quotes += block.count(b'"')
                has_nul = has_nul or b"\0" in block
                if block and not pending and block.isascii():
                    position += len(block)
                    continue  # ASCII is valid in every codec considered here
            try:
                text = decoder.decode(block, final=final)
            except UnicodeDecodeError as exc:
                offset = position - pending + exc.start
                raise _DecodeFailure(offset, exc.object[exc.start]) from None
            if not ascii_compatible:
                quotes += text.count('"')
                has_nul = has_nul or "\0" in text
            if final:
                return has_nul, quotes
            position += len(block)


# A well-formed multi-byte UTF-8 sequence (no overlongs, no surrogates, at most U+10FFFF).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]"
    rb"|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)


def _has_utf8_sequences(path: Path, name: str) -> bool:
    """Does the file hold any well-formed multi-byte UTF-8 sequence?

    Single-byte Western text almost never does (it takes an accented capital or letter
    followed straight by a symbol such as » or ’), so one means the file was written as
    UTF-8 and its invalid bytes are damage, not another encoding.
    """
    tail = b""
    with open_binary(path, name) as handle:
        while block := handle.read(BLOCK_BYTES):
            if _UTF8_SEQUENCE.search(tail + block):
                return True
            tail = block[-3:]  # a sequence may straddle two blocks
    return False


def _line_of(path: Path, name: str, offset: int) -> int:
    """The 1-based line (counting line feeds) that holds the byte at ``offset``."""
    lines = 1
    with open_binary(path, name) as handle:
        while offset > 0 and (block := handle.read(min(BLOCK_BYTES, offset))):
            lines += block.count(b"\n")
            offset -= len(block)
    return lines


def _legacy_candidates(path: Path, name: str, offset: int) -> list[str]:
    """Codecs to try for a file that is not UTF-8, best first (charset-normalizer's view)."""
    from charset_normalizer import from_bytes  # imported late: only non-UTF-8 files need it

    with open_binary(path, name) as handle:
        sample = handle.read(SAMPLE_BYTES)
        if offset > SAMPLE_BYTES // 2:  # look where the non-UTF-8 text is, too
            handle.seek(offset - SAMPLE_BYTES // 2)
            sample += b"\n" + handle.read(SAMPLE_BYTES)
    matches = list(from_bytes(sample))
    names = []
    for match in matches:
        with contextlib.suppress(LookupError):
            names.append(codecs.lookup(match.encoding).name)
    if not names or any(codec in _WESTERN for codec in names):
        return ["cp1252"]
    return [names[0], "cp1252"]


def decode_error(name: str, codec: str, exc: UnicodeDecodeError) -> InputError:
    return InputError(
        f"{name} is not valid {codec} (byte 0x{exc.object[exc.start]:02X}); "
        "pass --encoding with the file's real encoding."
    )


def bom_of(head: bytes) -> tuple[str | None, int]:
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    return None, 0


def utf16_without_bom(head: bytes) -> str | None:
    """UTF-16 text without a BOM has a NUL in every other byte for ASCII characters."""
    sample = head[:4096]
    half = len(sample) // 2
    if half < 2:
        return None
    even, odd = sample[0::2].count(0) / half, sample[1::2].count(0) / half
    if odd > 0.4 and even < 0.05:
        return "utf-16-le"
    if even > 0.4 and odd < 0.05:
        return "utf-16-be"
    return None
