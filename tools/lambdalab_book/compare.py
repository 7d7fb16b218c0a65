"""Compare a stored notebook output with a fresh one: floats within a tight tolerance, the rest exactly.

Why: numpy chooses SIMD code at run time (baseline, AVX2, AVX-512, NEON, SVE), and the paths
may round the last bit of a float differently; ``np.logspace`` gives other bytes with AVX-512
than with AVX2. Outputs stored on one machine then fail a byte-exact nbval run on another
although nothing changed. Here two floats match when ``|a - b| <= REL_TOL * max(|a|, |b|)``
or they are at most ``MAX_ULPS`` units in the last place apart (so ``0`` matches ``5e-324``);
NaN matches NaN. Everything else must be equal.

- JSON outputs (plotly figures): typed arrays ``{"dtype", "bdata", "shape"}`` (plotly.py 6+)
  are decoded, so a typed array and a plain list holding the same numbers match. Keys, list
  lengths and the kind of each value (float, int, bool, str, null, list, dict) must match;
  integers are exact; a JSON null matches NaN or an infinity (plotly writes those as null in
  lists).
- Text (streams, ``text/plain``, ``text/html``, every string inside JSON): numbers written with
  a decimal point or an exponent (``0.30000000000000004``, ``1.5e-07``, ``2.``) are compared as
  floats; integers, identifiers (``3e5f`` in a hex id, ``x86_64``, ``m5.large``), versions
  (``1.2.3``) and all other characters are compared exactly. The same value spelt differently
  (``1.5`` and ``1.50``) is a change of format, not of CPU, so it differs (except ``-0.0``
  and ``0.0``).

``first_difference(reference, test)`` returns ``None`` or where the two first differ, for
example ``data[0].x[17]: 123.4 != 123.5``.
"""

from __future__ import annotations

import base64
import binascii
import math
import re
import struct
from dataclasses import dataclass

REL_TOL = 1e-9
MAX_ULPS = 4

# A float written in text: a decimal point or an exponent. It must start a word (not after a
# letter, digit, '_', '.', or a sign glued to a word: "x-1.5", "a-3e50-") and end one: never
# followed by a digit or by ".x" (versions, IP addresses). After a decimal point a unit may
# follow ("1.5ms", "6.7x"); an exponent-only number must not be followed by a word character,
# a '.' or a '-' and a word character, so hex ids ("3e5f", "12345e67-89ab") never hold a float.
FLOAT_TOKEN = re.compile(
    r"(?<![\w.+-])[-+]?"
    r"(?:(?:\d+\.\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\d_]|\.\w)"
    r"|\d+[eE][-+]?\d+(?![\w.]|-\w))"
)

# plotly.js typed arrays: dtype -> (struct code, float width in bits or 0 for integers).
TYPED_ARRAY_DTYPES = {
    "f8": ("d", 64),
    "f4": ("f", 32),
    "i1": ("b", 0),
    "u1": ("B", 0),
    "i2": ("h", 0),
    "u2": ("H", 0),
    "i4": ("i", 0),
    "u4": ("I", 0),
    "i8": ("q", 0),
    "u8": ("Q", 0),
}
_ORDERED = {64: ("<d", "<q", 63), 32: ("<f", "<i", 31)}


@dataclass(frozen=True)
class Difference:
    """Where a test output first differs from the reference: a path and what differs there."""

    path: str
    detail: str

    def __str__(self) -> str:
        return f"{self.path}: {self.detail}" if self.path else self.detail


def _ordered(x: float, width: int) -> int:
    """The float's bits as an integer that counts ULPs monotonically (-0.0 and 0.0 both 0)."""
    float_fmt, int_fmt, sign_bit = _ORDERED[width]
    bits: int = struct.unpack(int_fmt, struct.pack(float_fmt, x))[0]
    return bits if bits >= 0 else -(bits & ((1 << sign_bit) - 1))


def ulps_apart(a: float, b: float, width: int = 64) -> int:
    """How many representable floats (of ``width`` bits, 64 or 32) lie between ``a`` and ``b``."""
    try:
        return abs(_ordered(a, width) - _ordered(b, width))
    except OverflowError:  # a double beyond float32's range: not comparable in float32 steps
        return abs(_ordered(a, 64) - _ordered(b, 64))


def floats_match(a: float, b: float, width: int = 64) -> bool:
    """True when ``a`` and ``b`` are equal up to SIMD rounding noise (see the module docstring)."""
    if a == b or (math.isnan(a) and math.isnan(b)):
        return True
    if not (math.isfinite(a) and math.isfinite(b)):
        return False
    return abs(a - b) <= REL_TOL * max(abs(a), abs(b)) or ulps_apart(a, b, width) <= MAX_ULPS


@dataclass(frozen=True)
class TypedArray:
    """A decoded plotly typed array: nested lists of Python numbers, and their float width."""

    values: list[object]
    width: int  # 64 or 32 for floats, 0 for integers


def decode_typed_array(value: object) -> TypedArray | None:
    """Decode ``{"dtype": "f8", "bdata": base64, "shape": "2, 3"}`` (little-endian), or None."""
    if not isinstance(value, dict) or not {"dtype", "bdata"} <= value.keys() <= {"dtype", "bdata", "shape"}:
        return None
    dtype, bdata, shape = value["dtype"], value["bdata"], value.get("shape")
    if dtype not in TYPED_ARRAY_DTYPES or not isinstance(bdata, str):
        return None
    code, width = TYPED_ARRAY_DTYPES[dtype]
    try:
        raw = base64.b64decode(bdata, validate=True)
    except (binascii.Error, ValueError):
        return None
    size = struct.calcsize(code)
    if len(raw) % size:
        return None
    flat: list[object] = list(struct.unpack(f"<{len(raw) // size}{code}", raw))
    if shape is None:
        return TypedArray(flat, width)
    try:
        dims = [int(d) for d in (shape.split(",") if isinstance(shape, str) else shape) if str(d).strip()]
    except (TypeError, ValueError):
        return None
    if not dims or math.prod(dims) != len(flat):
        return None
    for d in reversed(dims[1:]):
        flat = [flat[i : i + d] for i in range(0, len(flat), d)]
    return TypedArray(flat, width)


def _kind(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "str"
    if isinstance(value, (list, tuple)):
        return "list"
    if isinstance(value, dict):
        return "dict"
    return type(value).__name__


def _join(path: str, key: object) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    if isinstance(key, str) and key.isidentifier():
        return f"{path}.{key}" if path else key
    return f"{path}[{key!r}]"


def _line_at(text: str, offset: int, width: int = 60) -> tuple[int, str]:
    """The line number at ``offset`` and the line, cut to ``width`` characters either side of it."""
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    end = len(text) if end < 0 else end
    left, right = max(start, offset - width), min(end, offset + width)
    line = ("..." if left > start else "") + text[left:right] + ("..." if right < end else "")
    return text.count("\n", 0, offset) + 1, line


def _pieces(text: str) -> tuple[list[str], list[tuple[int, str]]]:
    """The text between float tokens, and the tokens with their offsets."""
    literals, tokens, last = [], [], 0
    for match in FLOAT_TOKEN.finditer(text):
        literals.append(text[last : match.start()])
        tokens.append((match.start(), match.group()))
        last = match.end()
    literals.append(text[last:])
    return literals, tokens


def _tokens_match(a: str, b: str) -> bool:
    if a == b:
        return True
    x, y = float(a), float(b)
    if x == y and x != 0:  # same value, other spelling: a change of format
        return False
    return floats_match(x, y)


def text_difference(reference: str, test: str, path: str = "") -> Difference | None:
    """Compare two texts: float tokens numerically, everything else exactly."""
    if reference == test:
        return None
    ref_literals, ref_tokens = _pieces(reference)
    test_literals, test_tokens = _pieces(test)
    ref_at = test_at = 0
    for i, (ref_lit, test_lit) in enumerate(zip(ref_literals, test_literals, strict=False)):
        if ref_lit != test_lit:
            common = 0
            while common < min(len(ref_lit), len(test_lit)) and ref_lit[common] == test_lit[common]:
                common += 1
            return _text_diff(reference, ref_at + common, test, test_at + common, path)
        ref_at += len(ref_lit)
        test_at += len(test_lit)
        if i < min(len(ref_tokens), len(test_tokens)):
            (ref_at, ref_tok), (test_at, test_tok) = ref_tokens[i], test_tokens[i]
            if not _tokens_match(ref_tok, test_tok):
                return _text_diff(reference, ref_at, test, test_at, path, f"{ref_tok} != {test_tok}")
            ref_at += len(ref_tok)
            test_at += len(test_tok)
    if len(ref_literals) == len(test_literals):
        return None
    return _text_diff(reference, ref_at, test, test_at, path)  # one text has more numbers


def _text_diff(
    reference: str, ref_at: int, test: str, test_at: int, path: str, numbers: str | None = None
) -> Difference:
    line, ref_line = _line_at(reference, ref_at)
    _, test_line = _line_at(test, test_at)
    where = f"{path} line {line}" if path else f"line {line}"
    detail = f"{ref_line!r} != {test_line!r}"
    return Difference(where, f"{numbers} ({detail})" if numbers else detail)


def first_difference(reference: object, test: object, path: str = "", width: int = 64) -> Difference | None:
    """Where ``test`` first differs from ``reference`` (JSON-like values or text), or None."""
    ref_array, test_array = decode_typed_array(reference), decode_typed_array(test)
    if ref_array is not None or test_array is not None:
        widths = [a.width for a in (ref_array, test_array) if a is not None and a.width]
        width = min([width, *widths])
        reference = ref_array.values if ref_array is not None else reference
        test = test_array.values if test_array is not None else test
    ref_kind, test_kind = _kind(reference), _kind(test)
    if ref_kind != test_kind:
        if {ref_kind, test_kind} == {"null", "float"}:  # plotly writes NaN and Inf as null in lists
            number = reference if isinstance(reference, float) else test
            assert isinstance(number, float)
            if not math.isfinite(number):
                return None
        return Difference(path, f"{reference!r} != {test!r} ({ref_kind} != {test_kind})")
    if isinstance(reference, float):
        assert isinstance(test, float)
        return None if floats_match(reference, test, width) else Difference(path, f"{reference!r} != {test!r}")
    if isinstance(reference, str):
        assert isinstance(test, str)
        return text_difference(reference, test, path)
    if isinstance(reference, (list, tuple)):
        assert isinstance(test, (list, tuple))
        if len(reference) != len(test):
            return Difference(path, f"{len(reference)} items != {len(test)} items")
        for i, (r, t) in enumerate(zip(reference, test, strict=True)):
            found = first_difference(r, t, _join(path, i), width)
            if found is not None:
                return found
        return None
    if isinstance(reference, dict):
        assert isinstance(test, dict)
        for key in reference:
            if key not in test:
                return Difference(_join(path, key), "missing from the test output")
        for key in test:
            if key not in reference:
                return Difference(_join(path, key), "not in the reference output")
        for key, value in reference.items():
            found = first_difference(value, test[key], _join(path, key), width)
            if found is not None:
                return found
        return None
    return None if reference == test else Difference(path, f"{reference!r} != {test!r}")


#: Output keys nbval leaves out of its comparison (and ``compare_outputs`` with it).
NBVAL_SKIP = (
    "metadata",
    "traceback",
    "prompt_number",
    "output_type",
    "name",
    "execution_count",
    "application/vnd.jupyter.widget-view+json",
    "image/png",
    "image/jpeg",
)


def _text(value: object) -> object:
    return "".join(value) if isinstance(value, list) and all(isinstance(v, str) for v in value) else value


def _grouped(outputs: list[dict[str, object]], skip: tuple[str, ...]) -> dict[str, list[object]]:
    """Outputs as nbval groups them: each stream's text under its name, ``data`` flattened to its mime types."""
    grouped: dict[str, list[object]] = {}
    for output in outputs:
        if output.get("output_type") == "stream":
            output = {"output_type": "stream", str(output.get("name")): output.get("text")}
        for key, value in output.items():
            if key in skip:
                continue
            items = value.items() if key == "data" and isinstance(value, dict) else [(key, value)]
            for name, item in items:
                if name not in skip:
                    grouped.setdefault(name, []).append(_text(item))
    return grouped


def outputs_difference(
    reference: list[dict[str, object]], test: list[dict[str, object]], skip: tuple[str, ...] = NBVAL_SKIP
) -> Difference | None:
    """Where a cell's fresh outputs first differ from its stored ones, paired as nbval pairs them.

    Streams are compared by stream name (consecutive outputs of one stream merged first), rich
    outputs by mime type, errors by ``ename`` and ``evalue`` (nbval skips the traceback); each pair
    with ``first_difference``. Used where nbval cannot run: the browser's kernel (the Run buttons).
    """
    merged: list[list[dict[str, object]]] = [[], []]
    for outputs, into in zip((reference, test), merged, strict=True):
        for output in outputs:
            last = into[-1] if into else None
            stream = last and output.get("output_type") == "stream" == last.get("output_type")
            if stream and last and last.get("name") == output.get("name"):
                into[-1] = {**last, "text": str(_text(last.get("text"))) + str(_text(output.get("text")))}
                continue
            into.append(output)
    ref, got = _grouped(merged[0], skip), _grouped(merged[1], skip)
    for key in sorted(ref.keys() | got.keys()):
        if key not in got:
            return Difference(key, "missing from the test outputs")
        if key not in ref:
            return Difference(key, f"not in the stored outputs: {str(got[key][0])[:200]!r}")
        if len(ref[key]) != len(got[key]):
            return Difference(key, f"{len(ref[key])} outputs != {len(got[key])}")
        for i, (a, b) in enumerate(zip(ref[key], got[key], strict=True)):
            found = first_difference(a, b, f"{key}[{i}]")
            if found is not None:
                return found
    return None
