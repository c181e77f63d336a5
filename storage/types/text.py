"""Text rules shared by every store: one normal form, one case-insensitive key.

Every text a client sends is stored in Unicode NFC (canonically equivalent
spellings — a precomposed ``é`` or ``e`` + combining acute — become one), with
surrounding white space removed; lengths are checked on that stored form.

Case-insensitive matching and uniqueness compare *keys*: ``fold(text)``,
Unicode full case folding of the canonically decomposed text, recomposed to
NFC. It is computed here, in Python, and stored beside the text (``name_key``,
``email_key``, ...), so SQLite, PostgreSQL, MariaDB and MongoDB compare the
same code points instead of applying their own collations or regex folding.
What that means for the text people write:

- ``ß``, ``ẞ`` and ``ss`` match; ``ς`` (final sigma), ``σ`` and ``Σ`` match;
- ``ǅ``, ``ǆ`` and ``Ǆ`` (one digraph letter in title, lower and upper case)
  match each other, but not ``dž`` typed as two letters: that is compatibility
  folding (NFKC), which would also equate ``①`` with ``1``; ligatures such as
  ``ﬃ`` do fold to ``ffi``;
- ``İ`` (Turkish dotted capital I) folds to ``i`` + combining dot, so it
  matches ``i̇`` and, as a substring, ``i``; dotless ``ı`` matches only ``ı``
  (Unicode's default folding, not the Turkish locale's);
- precomposed and decomposed accents match each other, but ``e`` does not
  match ``é``: accents are significant.
"""

from __future__ import annotations

import unicodedata

# Full case folding turns one code point into at most three (e.g. "ΐ"); a key
# column three times the text's length always holds the key of a valid text.
KEY_EXPANSION = 3


def normalise(text: str) -> str:
    """The stored form of a client's text: NFC, surrounding white space removed."""
    return unicodedata.normalize("NFC", text).strip()


def fold(text: str) -> str:
    """The case-insensitive key of ``text``: NFC(casefold(NFD(text)))."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFD", text).casefold())


def key_length(max_length: int) -> int:
    """The longest key a text of ``max_length`` characters can have."""
    return max_length * KEY_EXPANSION
