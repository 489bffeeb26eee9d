"""A small word tokenizer for maintenance text, trained on the user's own records.

Work orders are short, full of part numbers, sizes and codes ("replaced brg 6205-2RS on PN-48213-B,
torque 45 Nm"). Words are lower-cased runs of letters and digits; a run joined by ``-``, ``/``,
``.`` or ``_`` that holds a digit is kept whole, since it names a part, a size or a reading, while
one without a digit ("oil-leak") is split into its words. The most frequent words get their own
ids; every other word is hashed into one of ``num_buckets`` ids with a fixed hash, so an unseen
part number still gets the same id on every machine and in every run.

Id layout: 0 = padding, 1 = begin, 2 = end, then the vocabulary words, then the hash buckets.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from pathlib import Path

import torch
from torch import Tensor

from moesaic.atomic import write_text_atomic
from moesaic.data.tables import DataFormatError, read_text_checked
from moesaic.errors import NotFittedError

PAD, BOS, EOS = 0, 1, 2
SPECIALS = ("<pad>", "<bos>", "<eos>")
_FORMAT = "moesaic.TextTokenizer"
_VERSION = 1
_WORD = re.compile(r"[^\W_]+(?:[-/._][^\W_]+)*")  # unicode letters and digits, joined by -/._
_JOINER = re.compile(r"[-/._]")


def split_words(text: str) -> list[str]:
    """The words of ``text`` as the tokenizer sees them, before ids are assigned.

    Example: ``split_words("Oil-leak at PN-48213-B.")`` is ``["oil", "leak", "at", "pn-48213-b"]``.
    """
    words: list[str] = []
    for match in _WORD.finditer(text.lower()):
        word = match.group()
        if any(ch.isdigit() for ch in word):
            words.append(word)
        else:
            words.extend(_JOINER.split(word))
    return words


class TextTokenizer:
    """Most frequent words plus hashed buckets for the rest.

    Args:
        max_words: the vocabulary keeps at most this many words.
        min_count: a word enters the vocabulary only if seen at least this often.
        num_buckets: ids shared by out-of-vocabulary words, chosen by a fixed hash of the word.

    Attributes:
        words_: the vocabulary after :meth:`fit`, most frequent first (ties alphabetical).
    """

    def __init__(self, *, max_words: int = 4000, min_count: int = 1, num_buckets: int = 256) -> None:
        if max_words < 0:
            raise ValueError(f"`max_words` must be >= 0, got {max_words}")
        if min_count < 1:
            raise ValueError(f"`min_count` must be >= 1, got {min_count}")
        if num_buckets < 1:
            raise ValueError(f"`num_buckets` must be >= 1, got {num_buckets}")
        self.max_words, self.min_count, self.num_buckets = max_words, min_count, num_buckets

    def fit(self, texts: Iterable[str]) -> TextTokenizer:
        """Learn the vocabulary from ``texts``; returns self."""
        counts = Counter(word for text in texts for word in split_words(text))
        kept = sorted((w for w, n in counts.items() if n >= self.min_count), key=lambda w: (-counts[w], w))
        self._set_words(kept[: self.max_words])
        return self

    @property
    def vocab_size(self) -> int:
        """Ids are in [0, vocab_size): set ``EncoderConfig.vocab_size`` to this."""
        return len(SPECIALS) + len(self._fitted_words()) + self.num_buckets

    def encode(self, texts: Sequence[str], max_length: int, *, add_bos_eos: bool = False) -> Tensor:
        """Ids of each text, truncated to ``max_length`` and right-padded with 0.

        Args:
            texts: B strings.
            max_length: L.
            add_bos_eos: wrap each text in begin and end ids (they count towards ``max_length``).

        Returns:
            (B, L) int64.
        """
        if isinstance(texts, str):
            raise TypeError("`texts` must be a sequence of strings, got a single string; wrap it in a list")
        if max_length < 1:
            raise ValueError(f"`max_length` must be >= 1, got {max_length}")
        out = torch.zeros(len(texts), max_length, dtype=torch.long)
        for row, text in enumerate(texts):
            ids = [self.word_id(w) for w in split_words(text)]
            if add_bos_eos:
                ids = [BOS, *ids[: max_length - 2], EOS][:max_length]
            ids = ids[:max_length]
            out[row, : len(ids)] = torch.tensor(ids, dtype=torch.long)
        return out

    def word_id(self, word: str) -> int:
        """The id of one word as returned by :func:`split_words`."""
        words_ = self._fitted_words()
        index = self._index.get(word)
        if index is not None:
            return index
        # blake2b, not hash(): Python salts str hashes per process, and ids must survive restarts.
        digest = hashlib.blake2b(word.encode("utf-8"), digest_size=8).digest()
        return len(SPECIALS) + len(words_) + int.from_bytes(digest, "little") % self.num_buckets

    def decode(self, ids: Iterable[int]) -> list[str]:
        """Words of ``ids``, padding dropped; a hashed id reads ``<oov:k>`` for bucket k."""
        words_ = self._fitted_words()
        start = len(SPECIALS) + len(words_)
        out = []
        for i in (int(i) for i in ids):
            if i == PAD:
                continue
            if not 0 <= i < self.vocab_size:
                raise ValueError(f"id {i} is outside [0, vocab_size={self.vocab_size})")
            if i < len(SPECIALS):
                out.append(SPECIALS[i])
            else:
                out.append(words_[i - len(SPECIALS)] if i < start else f"<oov:{i - start}>")
        return out

    def save(self, path: Path) -> None:
        """Write the tokenizer as JSON (atomically)."""
        data = {
            "format": _FORMAT,
            "version": _VERSION,
            "max_words": self.max_words,
            "min_count": self.min_count,
            "num_buckets": self.num_buckets,
            "words": self._fitted_words(),
        }
        write_text_atomic(Path(path), json.dumps(data, ensure_ascii=False, indent=1) + "\n")

    @classmethod
    def load(cls, path: Path) -> TextTokenizer:
        """Read a tokenizer written by :meth:`save`.

        Raises:
            DataFormatError: the file is missing, not JSON, or not a tokenizer of this version.
        """
        path = Path(path)
        text = read_text_checked(path)
        try:
            data = json.loads(text)
        except json.JSONDecodeError as err:
            raise DataFormatError(
                path, f"not valid JSON ({err.msg}, column {err.colno})", line=err.lineno
            ) from err
        expected = {"format", "version", "max_words", "min_count", "num_buckets", "words"}
        if not isinstance(data, dict) or data.get("format") != _FORMAT:
            raise DataFormatError(path, f"not a tokenizer file: expected an object with format {_FORMAT!r}")
        if data.get("version") != _VERSION:
            raise DataFormatError(path, f"tokenizer version {data.get('version')!r}, expected {_VERSION}")
        if set(data) != expected:
            raise DataFormatError(path, f"expected keys {sorted(expected)}, found {sorted(data)}")
        words = data["words"]
        if not isinstance(words, list) or not all(isinstance(w, str) for w in words):
            raise DataFormatError(path, "`words` must be a list of strings")
        if len(set(words)) != len(words):
            raise DataFormatError(path, "`words` repeats a word")
        try:
            tokenizer = cls(
                max_words=data["max_words"], min_count=data["min_count"], num_buckets=data["num_buckets"]
            )
        except (TypeError, ValueError) as err:
            raise DataFormatError(path, str(err)) from err
        tokenizer._set_words(words)
        return tokenizer

    def _set_words(self, words: list[str]) -> None:
        self.words_ = list(words)
        self._index = {w: len(SPECIALS) + i for i, w in enumerate(self.words_)}

    def _fitted_words(self) -> list[str]:
        if not hasattr(self, "words_"):
            raise NotFittedError(
                f"This {type(self).__name__} is not fitted yet. Call `fit` or `{type(self).__name__}.load`."
            )
        return self.words_
