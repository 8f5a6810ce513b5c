#!/usr/bin/env python3
"""Describe a PNG file without third-party modules (zlib only), for tests of screenshots.

Prints one JSON object: width, height, bit_depth, colour_type, colours (distinct RGB colours,
counted up to 10000), and for each --colour RRGGBB given, how many pixels have exactly it.
Exits 2 with a message when the file is not a PNG this reader understands (8-bit greyscale, RGB,
greyscale+alpha or RGBA, not interlaced: what browsers write for screenshots).
"""
import argparse
import json
import struct
import sys
import zlib

SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHANNELS = {0: 1, 2: 3, 4: 2, 6: 4}


def fail(message):
    print(f"png_info: {message}", file=sys.stderr)
    sys.exit(2)


def chunks(data):
    pos = len(SIGNATURE)
    while pos + 8 <= len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if len(body) != length:
            fail("truncated chunk")
        yield kind, body
        pos += 12 + length


def unfilter(raw, width, height, bpp):
    """Yields each scanline's bytes with the PNG filters undone."""
    stride = width * bpp
    prev = bytearray(stride)
    pos = 0
    for _ in range(height):
        kind = raw[pos]
        line = bytearray(raw[pos + 1:pos + 1 + stride])
        pos += 1 + stride
        if kind == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 0xFF
        elif kind == 2:
            line = bytearray((x + y) & 0xFF for x, y in zip(line, prev))
        elif kind == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 0xFF
        elif kind == 4:
            for i in range(min(bpp, stride)):  # left and up-left are 0: Paeth picks up
                line[i] = (line[i] + prev[i]) & 0xFF
            for i in range(bpp, stride):
                a, b, c = line[i - bpp], prev[i], prev[i - bpp]
                pa, pb, pc = abs(b - c), abs(a - c), abs(a + b - 2 * c)
                line[i] = (line[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
        elif kind != 0:
            fail(f"unknown filter type {kind}")
        yield line
        prev = line


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("png")
    ap.add_argument("--colour", action="append", default=[], help="RRGGBB to count")
    a = ap.parse_args()
    try:
        with open(a.png, "rb") as f:
            data = f.read()
    except OSError as e:
        fail(f"cannot read {a.png}: {e.strerror}")
    if not data.startswith(SIGNATURE):
        fail(f"{a.png} is not a PNG (bad signature)")
    header, idat = None, bytearray()
    for kind, body in chunks(data):
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
    if header is None:
        fail("no IHDR chunk")
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in CHANNELS or interlace != 0:
        fail(f"unsupported PNG: depth {depth}, colour type {colour_type}, interlace {interlace}")
    try:
        raw = zlib.decompress(bytes(idat))
    except zlib.error as e:
        fail(f"corrupt image data: {e}")
    bpp = CHANNELS[colour_type]
    if len(raw) != height * (1 + width * bpp):
        fail(f"image data is {len(raw)} bytes, expected {height * (1 + width * bpp)}")

    wanted = {tuple(bytes.fromhex(c)): 0 for c in a.colour}
    colours = set()
    for line in unfilter(raw, width, height, bpp):
        if bpp >= 3:
            pixels = list(zip(line[0::bpp], line[1::bpp], line[2::bpp]))
        else:
            pixels = [(g, g, g) for g in line[0::bpp]]
        if len(colours) < 10000:
            colours.update(pixels)
        for colour in wanted:
            wanted[colour] += pixels.count(colour)
    print(json.dumps({"width": width, "height": height, "bit_depth": depth,
                      "colour_type": colour_type, "colours": min(len(colours), 10000),
                      "pixels_of": {bytes(c).hex(): n for c, n in wanted.items()}}))


if __name__ == "__main__":
    main()
