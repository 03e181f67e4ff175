#!/usr/bin/env python3
"""Convert the CFF-outlined subset made by pyftsubset into a TrueType font.

Noto Serif CJK ships PostScript (CFF) outlines; the PDF code embeds the font as
a TrueType CID font, so the cubic curves are turned into quadratic ones with
fontTools' cu2qu (max error 1 unit of 1000 per em, invisible at print sizes).

The font is also renamed "Wangge CJK Serif" (name IDs 1, 3, 4, 6, 16, 17):
the SIL OFL 1.1 asks Modified Versions not to present themselves under the
original's name, and a subset converted to another outline format is one.
Copyright (ID 0), trademark, designer, licence (IDs 13, 14) stay as they are.

Usage: python3 cff_to_ttf.py IN.otf OUT.ttf   (needs fonttools >= 4.40)
"""

import sys

from fontTools.pens.cu2quPen import Cu2QuPen
from fontTools.pens.ttGlyphPen import TTGlyphPen
from fontTools.ttLib import TTFont, newTable

MAX_ERR = 1.0
FAMILY = "Wangge CJK Serif"
PS_NAME = "WanggeCJKSerif-Regular"


def convert(font: TTFont) -> None:
    glyph_order = font.getGlyphOrder()
    glyph_set = font.getGlyphSet()
    glyf = newTable("glyf")
    glyf.glyphOrder = glyph_order
    glyf.glyphs = {}
    for name in glyph_order:
        pen = TTGlyphPen(None)
        # PostScript contours run counter-clockwise, TrueType ones clockwise.
        glyph_set[name].draw(Cu2QuPen(pen, MAX_ERR, reverse_direction=True))
        glyf[name] = pen.glyph()
    font["glyf"] = glyf
    font["loca"] = newTable("loca")
    del font["CFF "]
    if "VORG" in font:
        del font["VORG"]

    maxp = newTable("maxp")
    maxp.tableVersion = 0x00010000
    maxp.numGlyphs = len(glyph_order)
    for field in (
        "maxZones", "maxTwilightPoints", "maxStorage", "maxFunctionDefs",
        "maxInstructionDefs", "maxStackElements", "maxSizeOfInstructions",
        "maxComponentElements", "maxPoints", "maxContours",
        "maxCompositePoints", "maxCompositeContours", "maxComponentDepth",
    ):
        setattr(maxp, field, 0)
    maxp.maxZones = 1
    font["maxp"] = maxp  # the real maxima are recomputed on save

    # No glyph names: a CID font in a PDF does not use them.
    font["post"].formatType = 3.0

    font["head"].glyphDataFormat = 0
    font["head"].indexToLocFormat = 0
    font.sfntVersion = "\x00\x01\x00\x00"


def rename(font: TTFont) -> None:
    name = font["name"]
    version = font["head"].fontRevision
    new = {
        1: FAMILY,
        3: f"{version:.3f};{PS_NAME};subset of Noto Serif CJK SC",
        4: FAMILY,
        6: PS_NAME,
        16: FAMILY,
        17: "Regular",
    }
    for record in list(name.names):
        if record.nameID in new:
            name.removeNames(nameID=record.nameID)
    for name_id, value in new.items():
        name.setName(value, name_id, 3, 1, 0x409)
        name.setName(value, name_id, 1, 0, 0)


def main() -> None:
    src, dst = sys.argv[1], sys.argv[2]
    font = TTFont(src)
    convert(font)
    rename(font)
    font.save(dst)


if __name__ == "__main__":
    main()
