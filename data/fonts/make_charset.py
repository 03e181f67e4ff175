#!/usr/bin/env python3
"""Write charset.txt: the characters kept in wangge-cjk.ttf.

Everything here is derived from Python's own GB2312 codec, so the list can be
rebuilt byte for byte anywhere:

* printable ASCII (U+0020-U+007E);
* GB2312 rows 1-3 and 8: punctuation (、。～…‘’“”〔〕〈〉《》「」『』〖〗【】),
  maths and unit signs (±×÷≤≥℃‰№), circled and bracketed numbers (①⑴⒈㈠Ⅰ),
  full-width ASCII (０-９ Ａ-Ｚ ，：；？！（）％) and pinyin letters (kana, Greek,
  Cyrillic and box drawing, rows 4-7 and 9, are left out);
* GB2312 level-1 hanzi, rows 16-55 (3,755 characters, 啊 ... 座);
* a few extras that documents use and the codec does not give: · (U+00B7) and
  — (U+2014), which the codec maps to ・ (U+30FB) and ― (U+2015) while Chinese
  text uses the former; – (U+2013); 〇 (as in 二〇二六); □ (the placeholder
  drawn for characters outside this set, also in row 1); ㎡, ￥, •, € and the
  non-breaking space.

Usage: python3 make_charset.py > charset.txt
"""

import sys


def gb2312_row(row: int) -> list[str]:
    out = []
    for cell in range(1, 95):
        raw = bytes([0xA0 + row, 0xA0 + cell])
        try:
            ch = raw.decode("gb2312")
        except UnicodeDecodeError:
            continue  # unassigned cell
        out.append(ch)
    return out


def main() -> None:
    lines = []
    lines.append("".join(chr(c) for c in range(0x20, 0x7F)))
    for row in (1, 2, 3, 8):
        chars = gb2312_row(row)
        if chars:
            lines.append("".join(chars))
    hanzi = []
    for row in range(16, 56):
        hanzi.extend(gb2312_row(row))
    assert len(hanzi) == 3755, len(hanzi)
    # 40 characters a line keeps the file readable.
    for i in range(0, len(hanzi), 40):
        lines.append("".join(hanzi[i : i + 40]))
    lines.append("\u00b7\u2014\u2013〇□㎡￥•€\u00a0")
    sys.stdout.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
