"""Texts that stand for no number a connector may load, and what its refusal of each says.

One table for target-ossit's and destination-ossit's tests: the rule is the contract's
(``ossit_schemas.values``), so both refuse the same texts in the same words.
"""

from __future__ import annotations

BAD_TEXTS = {
    "underscore": ("1_000", "JSON form"),
    "blanks": (" 12 ", "JSON form"),
    "fullwidth digits": ("\uff11\uff10", "JSON form"),
    "Arabic-Indic digits": ("\u0661\u0662", "JSON form"),
    "plus sign": ("+5", "JSON form"),
    "beyond a double": ("1e400", "finite"),
    "integer no double holds": (str(2**53 + 1), "holds exactly"),
}
"""Case -> (the text, words of the refusal)."""
