"""QR codes for documents: a small, fast encoder and run-length rows for vector drawing.

Certificates are printed by the thousand. segno, the general-purpose encoder the tests check
this one against, is pure Python: measured in the ``certificates`` benchmark (workloads
``certificate_qr_segno_search`` and ``certificate_qr_segno_fixed``) it takes about 10 ms per
certificate code with its mask search and about 2.5 ms with a fixed mask, against about 0.1 ms
here, which would lift the ``certificates_pdf`` ratio from about 1.5–2 to about 7 (search) or
2.9 (fixed mask), past its goal of 2. So this encoder stays, doing only what certificate
codes need (ISO/IEC 18004 model 2, error correction level M, alphanumeric or byte mode,
versions 1–20, one fixed mask) and precomputing, per version, the function patterns, the
module order and the mask, so encoding is the data bits, Reed–Solomon over Python integers and
one NumPy scatter. The tests check it module for module against segno with the same version,
level and mask, and decode it with zbar.

A fixed mask is allowed by the standard (the penalty-based choice is a recommendation); for
short codes printed on paper it does not affect reading.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from itertools import chain

import numpy as np

MASK = 2
MAX_VERSION = 20
# Error correction level M, versions 1..20: EC codewords per block, number of blocks.
_ECC_PER_BLOCK = (10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26)
_NUM_BLOCKS = (1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16)
_FORMAT_BITS_M = 0
_ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"
_ALNUM_INDEX = {ch: i for i, ch in enumerate(_ALNUM)}
_ALNUM_SET = frozenset(_ALNUM)


class QrTooLong(ValueError):
    """The text does not fit a version-20 symbol at level M."""


@dataclass(frozen=True, slots=True)
class QrRuns:
    """A QR symbol: its side in modules and its dark runs (row, first column, length)."""

    modules: int
    runs: tuple[tuple[int, int, int], ...]


# -- Galois field and Reed-Solomon ---------------------------------------------------------

_EXP = [0] * 512
_LOG = [0] * 256
_value = 1
for _i in range(255):
    _EXP[_i] = _value
    _LOG[_value] = _i
    _value <<= 1
    if _value & 0x100:
        _value ^= 0x11D
for _i in range(255, 512):
    _EXP[_i] = _EXP[_i - 255]


def _gf_mul(a: int, b: int) -> int:
    return 0 if a == 0 or b == 0 else _EXP[_LOG[a] + _LOG[b]]


@cache
def _rs_tables(degree: int) -> tuple[int, ...]:
    """For each factor byte, the generator polynomial times it, packed into one integer."""
    divisor = [0] * (degree - 1) + [1]
    root = 1
    for _ in range(degree):
        for j in range(degree):
            divisor[j] = _gf_mul(divisor[j], root)
            if j + 1 < degree:
                divisor[j] ^= divisor[j + 1]
        root = _gf_mul(root, 2)
    return tuple(
        int.from_bytes(bytes(_gf_mul(c, factor) for c in divisor), "big") for factor in range(256)
    )


def _rs_remainder(data: bytes, degree: int) -> bytes:
    table = _rs_tables(degree)
    shift = 8 * (degree - 1)
    mask = (1 << (8 * degree)) - 1
    rem = 0
    for byte in data:
        factor = byte ^ (rem >> shift)
        rem = ((rem << 8) & mask) ^ table[factor]
    return rem.to_bytes(degree, "big")


# -- Version geometry ----------------------------------------------------------------------

def _raw_modules(version: int) -> int:
    result = (16 * version + 128) * version + 64
    if version >= 2:
        count = version // 7 + 2
        result -= (25 * count - 10) * count - 55
        if version >= 7:
            result -= 36
    return result


def _data_codewords(version: int) -> int:
    return _raw_modules(version) // 8 - _ECC_PER_BLOCK[version - 1] * _NUM_BLOCKS[version - 1]


def _alignment_positions(version: int) -> list[int]:
    if version == 1:
        return []
    count = version // 7 + 2
    size = version * 4 + 17
    step = (version * 4 + count * 2 + 1) // (count * 2 - 2) * 2
    return sorted([size - 7 - i * step for i in range(count - 1)] + [6])


def _mask_bit(mask: int, x: int, y: int) -> bool:
    return (
        (x + y) % 2 == 0, y % 2 == 0, x % 3 == 0, (x + y) % 3 == 0,
        (x // 3 + y // 2) % 2 == 0, x * y % 2 + x * y % 3 == 0,
        (x * y % 2 + x * y % 3) % 2 == 0, ((x + y) % 2 + x * y % 3) % 2 == 0,
    )[mask]


@dataclass(frozen=True, slots=True)
class _Template:
    size: int
    base: np.ndarray  # function patterns, format and version info drawn
    ys: np.ndarray  # data module coordinates in placement order
    xs: np.ndarray
    mask: np.ndarray  # mask value at each data module
    capacity_bits: int


@cache
def _template(version: int, mask: int) -> _Template:
    size = version * 4 + 17
    dark = np.zeros((size, size), dtype=np.bool_)
    func = np.zeros((size, size), dtype=np.bool_)

    def put(x: int, y: int, value: bool) -> None:
        dark[y, x] = value
        func[y, x] = True

    for i in range(size):
        put(6, i, i % 2 == 0)
        put(i, 6, i % 2 == 0)
    for cx, cy in ((3, 3), (size - 4, 3), (3, size - 4)):
        for dy in range(-4, 5):
            for dx in range(-4, 5):
                x, y = cx + dx, cy + dy
                if 0 <= x < size and 0 <= y < size:
                    put(x, y, max(abs(dx), abs(dy)) not in (2, 4))
    positions = _alignment_positions(version)
    last = len(positions) - 1
    for i, ax in enumerate(positions):
        for j, ay in enumerate(positions):
            if (i, j) in ((0, 0), (0, last), (last, 0)):
                continue
            for dy in range(-2, 3):
                for dx in range(-2, 3):
                    put(ax + dx, ay + dy, max(abs(dx), abs(dy)) != 1)
    # Format information (level M, this mask), both copies, and the dark module.
    data = _FORMAT_BITS_M << 3 | mask
    rem = data
    for _ in range(10):
        rem = (rem << 1) ^ ((rem >> 9) * 0x537)
    bits = (data << 10 | rem) ^ 0x5412

    def bit(value: int, index: int) -> bool:
        return (value >> index) & 1 != 0

    for i in range(6):
        put(8, i, bit(bits, i))
    put(8, 7, bit(bits, 6))
    put(8, 8, bit(bits, 7))
    put(7, 8, bit(bits, 8))
    for i in range(9, 15):
        put(14 - i, 8, bit(bits, i))
    for i in range(8):
        put(size - 1 - i, 8, bit(bits, i))
    for i in range(8, 15):
        put(8, size - 15 + i, bit(bits, i))
    put(8, size - 8, True)
    if version >= 7:
        rem = version
        for _ in range(12):
            rem = (rem << 1) ^ ((rem >> 11) * 0x1F25)
        vbits = version << 12 | rem
        for i in range(18):
            a, b = size - 11 + i % 3, i // 3
            put(a, b, bit(vbits, i))
            put(b, a, bit(vbits, i))
    ys: list[int] = []
    xs: list[int] = []
    right = size - 1
    while right >= 1:
        if right == 6:
            right = 5
        upward = (right + 1) & 2 == 0
        for vert in range(size):
            y = size - 1 - vert if upward else vert
            for j in range(2):
                x = right - j
                if not func[y, x]:
                    ys.append(y)
                    xs.append(x)
        right -= 2
    mask_values = np.array([_mask_bit(mask, x, y) for x, y in zip(xs, ys, strict=True)],
                           dtype=np.bool_)
    return _Template(size, dark, np.array(ys), np.array(xs), mask_values, len(ys))


# -- Data encoding -------------------------------------------------------------------------

def _segment(text: str) -> tuple[int, int, int, int]:
    """(mode indicator, character count, data value, data bit length) of one segment."""
    if _ALNUM_SET.issuperset(text):
        index = _ALNUM_INDEX
        value = 0
        for i in range(0, len(text) - 1, 2):
            value = value << 11 | (index[text[i]] * 45 + index[text[i + 1]])
        length = 11 * (len(text) // 2)
        if len(text) % 2:
            value = value << 6 | index[text[-1]]
            length += 6
        return 0b0010, len(text), value, length
    data = text.encode("utf-8")
    return 0b0100, len(data), int.from_bytes(data, "big"), 8 * len(data)


def _count_bits(mode: int, version: int) -> int:
    if mode == 0b0010:
        return 9 if version <= 9 else 11
    return 8 if version <= 9 else 16


def _codewords(text: str) -> tuple[int, bytes]:
    """Choose the smallest version and return it with the final interleaved codewords."""
    mode, count, data_value, data_length = _segment(text)
    for version in range(1, MAX_VERSION + 1):
        count_bits = _count_bits(mode, version)
        length = 4 + count_bits + data_length
        capacity = _data_codewords(version) * 8
        if length <= capacity:
            value = ((mode << count_bits | count) << data_length) | data_value
            break
    else:
        raise QrTooLong(f"二维码内容过长（{len(text)} 个字符）")
    terminator = min(4, capacity - length)
    value <<= terminator
    length += terminator
    value <<= -length % 8
    length += -length % 8
    data = value.to_bytes(length // 8, "big")
    missing = capacity // 8 - len(data)
    data += (b"\xec\x11" * (missing // 2 + 1))[:missing]
    blocks = _NUM_BLOCKS[version - 1]
    ecc_len = _ECC_PER_BLOCK[version - 1]
    raw = _raw_modules(version) // 8
    short_blocks = blocks - raw % blocks
    short_len = raw // blocks - ecc_len
    data_blocks: list[bytes] = []
    k = 0
    for i in range(blocks):
        n = short_len + (0 if i < short_blocks else 1)
        data_blocks.append(data[k:k + n])
        k += n
    ecc_blocks = [_rs_remainder(block, ecc_len) for block in data_blocks]
    # Interleave: column by column over the blocks (the long blocks' last byte comes last).
    out = bytes(chain.from_iterable(zip(*(block[:short_len] for block in data_blocks),
                                        strict=True)))
    out += bytes(block[short_len] for block in data_blocks[short_blocks:])
    out += bytes(chain.from_iterable(zip(*ecc_blocks, strict=True)))
    return version, out


def qr_matrix(text: str, mask: int = MASK) -> np.ndarray:
    """The symbol for ``text`` as a square boolean array (True = dark), no quiet zone."""
    version, codewords = _codewords(text)
    tpl = _template(version, mask)
    bits = np.unpackbits(np.frombuffer(codewords, dtype=np.uint8)).astype(np.bool_)
    values = np.zeros(tpl.capacity_bits, dtype=np.bool_)
    values[: bits.size] = bits
    matrix = tpl.base.copy()
    matrix[tpl.ys, tpl.xs] = values ^ tpl.mask
    return matrix


def matrix_runs(matrix: np.ndarray) -> tuple[tuple[int, int, int], ...]:
    """Horizontal runs of true cells of a 2-D boolean array, row by row."""
    rows, cols = matrix.shape
    padded = np.zeros((rows, cols + 2), dtype=np.int8)
    padded[:, 1:-1] = matrix
    edges = np.diff(padded, axis=1)
    start_r, start_c = np.nonzero(edges == 1)
    _, end_c = np.nonzero(edges == -1)
    return tuple(zip(start_r.tolist(), start_c.tolist(), (end_c - start_c).tolist(), strict=True))


def qr_runs(text: str) -> QrRuns:
    """Encode ``text`` and return its dark runs for vector drawing."""
    matrix = qr_matrix(text)
    return QrRuns(int(matrix.shape[0]), matrix_runs(matrix))
