"""Hand-written inputs for the data tests: two small cities and tiny PNG maps."""

from __future__ import annotations

from pathlib import Path

SECOND_LINES = {
    "Red": ["Oak Station", "Pine Station (Transfer Station)", "Elm Station", "Ash Station"],
    "Blue": ["Fir Station", "Pine Station (Transfer Station)", "Yew Station", "Bay Station (Transfer Station)"],
    "Green": ["Bay Station (Transfer Station)", "Ivy Station", "Moss Station", "Fern Station"],
}


def write_png(path: Path, size=(60, 40), color=(200, 30, 30)) -> Path:
    from PIL import Image

    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, color).save(path)
    return path


SMALL_PLUS = {"TorF1": 4, "TorF2": 4, "Counting1": 4, "Counting2": 3, "Counting3": 1}


def png_bytes(width: int, height: int, *, bit_depth: int = 1, color_type: int = 0, idat: bytes | None = None) -> bytes:
    """A real PNG written chunk by chunk (so its header can claim any size cheaply): a black 1-bit image by default;
    ``idat`` replaces the compressed pixel data (e.g. ``b""`` for a header-only "decompression bomb")."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    if idat is None:
        row = b"\x00" + b"\x00" * ((width * bit_depth + 7) // 8)
        comp = zlib.compressobj(1)
        parts = [comp.compress(row * min(height, 256)) for _ in range(height // 256)]
        parts.append(comp.compress(row * (height % 256)))
        idat = b"".join(parts) + comp.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, bit_depth, color_type, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
