"""A lean reader of the binary tables of a DL3 run file (EVENTS, GTI), for plain FITS files
and gzip-compressed ones.

astropy's FITS reader makes a Header of Card objects and a column definition object per HDU,
and decompresses the whole file; for a DL3 run that is most of the reading time. This reader
decompresses the file only up to the last table asked for, parses the header cards of those
tables, and gives the needed columns as numpy views of the big-endian rows.

It reads only standard files: anything it does not handle exactly as astropy does (damaged or
truncated data, cards it cannot parse, CONTINUE cards, a heap, scaled or multi-element
columns, other compressions, a table missing) raises :class:`Unsupported`, and the caller then
reads the file with astropy, whose errors and warnings are the ones reported. Header values
are astropy's (strings without trailing blanks, ``T``/``F`` as booleans, integers and
floats), and a table has the few attributes of astropy's ``BinTableHDU`` that
:mod:`baccmod.adapters.dl3` uses (``header``, ``columns.names``, ``columns[name].unit``,
``data[name]``, ``verify_datasum()``).
"""
import re
import zlib
from dataclasses import dataclass

import numpy as np

_BLOCK = 2880
_CARD = 80
_GZIP_MAGIC = b"\x1f\x8b"
#: Fewest bytes inflated at a time from a gzip file (more would inflate beyond the tables).
_CHUNK = 1 << 13
#: Compressed bytes read at a time from a gzip file.
_COMPRESSED_CHUNK = 1 << 16
_INTEGER = re.compile(r"[+-]?\d+")
_REAL = re.compile(r"[+-]?(?:\.\d+|\d+(?:\.\d*)?)(?:[deDE][+-]?\d+)?")
_STRING = re.compile(r"\s*'((?:[^']|'')*)'\s*(?:/.*)?")
_TFORM = re.compile(r"\s*(\d*)([LXBIJKAEDCMPQ])(.*)")
#: Bytes per element of each TFORM data type (X: bits, counted apart).
_TFORM_BYTES = {"L": 1, "B": 1, "I": 2, "J": 4, "K": 8, "A": 1, "E": 4, "D": 8, "C": 8,
                "M": 16, "P": 8, "Q": 16}
#: numpy types of the TFORM types given as numbers.
_NUMERIC = {"B": "u1", "I": ">i2", "J": ">i4", "K": ">i8", "E": ">f4", "D": ">f8"}
_COMMENTARY = ("", "COMMENT", "HISTORY")


class Unsupported(Exception):
    """The file is not one this reader handles exactly as astropy: read it with astropy."""


class _Unparsed:
    """A card value this reader does not parse (complex, undefined, non-standard)."""


_UNPARSED = _Unparsed()


def read_tables(path, wanted):
    """The binary tables ``wanted`` of a FITS file, read up to the last of them.

    Parameters
    ----------
    path : str or Path
        A FITS file, plain or gzip-compressed.
    wanted : dict
        {HDU name: column names}: the tables to read (by EXTNAME, case-insensitive, the first
        HDU of that name as astropy finds it) and the columns whose values will be taken.

    Returns
    -------
    dict
        {HDU name (as given): BinaryTable}.

    Raises
    ------
    Unsupported
        Anything this reader does not handle as astropy does.
    """
    names = {str(name).strip().upper(): name for name in wanted}
    strip = _strip_string_blanks()
    found = {}
    with open(path, "rb") as handle:
        stream = _Stream(handle)
        index = 0
        while len(found) < len(names):
            header = _read_header(stream, strip)
            size = _data_size(header, primary=index == 0)
            name = str(header.get("EXTNAME", "")).strip().upper() if index else "PRIMARY"
            if name in names and names[name] not in found:
                given = names[name]
                found[given] = _binary_table(header, stream.read(size), wanted[given])
            else:
                stream.skip(size)
            if len(found) < len(names):
                stream.skip_padding()
            index += 1
    return found


def read_header(path, name):
    """The header (dict of keyword -> value) of the first HDU named ``name`` (EXTNAME,
    case-insensitive) of a FITS file, plain or gzip-compressed, without reading any table;
    raises Unsupported as :func:`read_tables`, and when no HDU has that name."""
    wanted = str(name).strip().upper()
    strip = _strip_string_blanks()
    with open(path, "rb") as handle:
        stream = _Stream(handle)
        index = 0
        while True:
            header = _read_header(stream, strip)
            if index and str(header.get("EXTNAME", "")).strip().upper() == wanted:
                return header
            stream.skip(_data_size(header, primary=index == 0))
            stream.skip_padding()
            index += 1


def _strip_string_blanks():
    """Whether astropy strips trailing blanks of string values (its default)."""
    from astropy.io import fits
    return bool(fits.conf.strip_header_whitespace)


class _Stream:
    """The bytes of a plain or gzip file, read (inflated) only as far as asked."""

    def __init__(self, handle):
        self._handle = handle
        start = handle.read(2)
        self._inflate = None
        if start == _GZIP_MAGIC:
            self._compressed = start
            self._inflate = zlib.decompressobj(16 + zlib.MAX_WBITS)
            start = b""
        self._buffer = bytearray(start)
        self._position = 0
        self._total = 0  # bytes consumed before the buffer's start

    def read(self, size):
        """The next ``size`` bytes (all of them, else Unsupported)."""
        self._fill(size)
        data = bytes(self._buffer[self._position:self._position + size])
        self._position += size
        return data

    def skip(self, size):
        if size:
            self._fill(size)
            self._position += size

    def skip_padding(self):
        """Skip to the next 2880-byte block boundary."""
        self.skip(-(self._total + self._position) % _BLOCK)

    def _fill(self, size):
        if self._position > 4 * _CHUNK:  # drop what was consumed
            self._total += self._position
            del self._buffer[:self._position]
            self._position = 0
        while len(self._buffer) - self._position < size:
            chunk = self._more(size - (len(self._buffer) - self._position))
            if not chunk:
                raise Unsupported("the file ends early")
            self._buffer += chunk

    def _more(self, size):
        """Up to about ``size`` more bytes of the file (b'' at its end)."""
        if self._inflate is None:
            return self._handle.read(max(size, _CHUNK))
        while not self._inflate.eof:
            if not self._compressed:
                self._compressed = self._handle.read(_COMPRESSED_CHUNK)
                if not self._compressed:
                    break
            try:
                chunk = self._inflate.decompress(self._compressed, max(size, _CHUNK))
            except zlib.error as error:
                raise Unsupported(f"gzip data: {error}") from None
            self._compressed = self._inflate.unconsumed_tail
            if chunk:
                return chunk
        return b""


def _read_header(stream, strip):
    """The cards of the next header up to END, as {KEYWORD: value} (first occurrence)."""
    header = {}
    while True:
        block = stream.read(_BLOCK)
        try:
            text = block.decode("ascii")
        except UnicodeDecodeError:
            raise Unsupported("a header holds non-ASCII bytes") from None
        if not text.isprintable():
            raise Unsupported("a header holds control characters")
        for start in range(0, _BLOCK, _CARD):
            card = text[start:start + _CARD]
            keyword = card[:8].rstrip().upper()
            if keyword == "END" and not card[8:].strip():
                return header
            _add_card(header, keyword, card, strip)


def _add_card(header, keyword, card, strip):
    if card[8:10] == "= ":
        if keyword not in header:
            header[keyword] = _card_value(card[10:], strip)
    elif keyword not in _COMMENTARY:
        header.setdefault(keyword, _UNPARSED)  # CONTINUE, HIERARCH, non-standard cards


def _card_value(field, strip):
    """A card's value as astropy gives it (str, bool, int or float), else _UNPARSED."""
    if field.lstrip().startswith("'"):
        string = _STRING.fullmatch(field)
        if string is None:
            return _UNPARSED
        value = string.group(1).replace("''", "'")
        return value.rstrip() if strip else value
    token = field.split("/", 1)[0].strip()
    if token in ("T", "F"):
        return token == "T"
    if _INTEGER.fullmatch(token):
        return int(token)
    if _REAL.fullmatch(token):
        return float(token.replace("D", "E").replace("d", "e"))
    return _UNPARSED


def _integer(header, keyword, default=None, low=0):
    value = header.get(keyword, default)
    if type(value) is not int or value < low:
        raise Unsupported(f"{keyword} = {value!r}")
    return value


def _data_size(header, primary):
    """Bytes of an HDU's data (without padding), from its structural keywords."""
    if primary and header.get("SIMPLE") is not True:
        raise Unsupported("no SIMPLE = T")
    if not primary and not isinstance(header.get("XTENSION"), str):
        raise Unsupported("an extension without XTENSION")
    bitpix = header.get("BITPIX")
    if type(bitpix) is not int or bitpix not in (8, 16, 32, 64, -32, -64):
        raise Unsupported(f"BITPIX = {bitpix!r}")
    axes = [_integer(header, f"NAXIS{i}") for i in range(1, _integer(header, "NAXIS") + 1)]
    if primary:
        if header.get("GROUPS") is True:
            raise Unsupported("random groups")
        return abs(bitpix) // 8 * int(np.prod(axes)) if axes else 0
    pcount, gcount = _integer(header, "PCOUNT", 0), _integer(header, "GCOUNT", 1, low=1)
    if not axes:
        if pcount:
            raise Unsupported("PCOUNT without axes")
        return 0
    return abs(bitpix) // 8 * gcount * (pcount + int(np.prod(axes)))


@dataclass(frozen=True)
class Column:
    """A binary table column: name (TTYPEn), unit (TUNITn, None when absent), its byte
    offset in a row, TFORM type code and repeat count, and whether it is scaled or shaped
    (TSCALn, TZEROn, TDIMn)."""
    name: str
    unit: object
    offset: int
    code: str
    repeat: int
    special: bool


class _Columns:
    """astropy ``ColDefs``-like access: ``names`` and ``[name]`` (exact name, else the one
    name equal ignoring case, as astropy finds them)."""

    def __init__(self, columns):
        self._columns = columns
        self.names = [column.name for column in columns]

    def __getitem__(self, name):
        exact = [column for column in self._columns if column.name == name]
        if exact:
            return exact[0]
        folded = [column for column in self._columns if column.name.upper() == name.upper()]
        if len(folded) != 1:
            raise KeyError(f"Key '{name}' does not exist.")
        return folded[0]


class BinaryTable:
    """A binary table HDU: ``header`` ({KEYWORD: value}), ``columns`` and ``data[name]``
    (numpy arrays, big-endian, viewing the raw rows)."""

    def __init__(self, header, columns, raw, row_bytes, n_rows):
        self.header = header
        self.columns = _Columns(columns)
        self._raw, self._row_bytes, self._n_rows = raw, row_bytes, n_rows
        self.data = self

    def __getitem__(self, name):
        column = self.columns[name]
        if self._n_rows == 0:
            return np.empty(0, dtype=_NUMERIC[column.code])
        return np.ndarray((self._n_rows,), dtype=_NUMERIC[column.code], buffer=self._raw,
                          offset=column.offset, strides=(self._row_bytes,))

    def verify_datasum(self):
        """As astropy's: 1 when the data match DATASUM, 0 when not, 2 without DATASUM."""
        if "DATASUM" not in self.header:
            return 2
        return 1 if data_checksum(self._raw) == int(self.header["DATASUM"]) else 0


def _binary_table(header, raw, needed):
    """A BinaryTable of an HDU's header and data; Unsupported unless it is a plain binary
    table whose ``needed`` columns (those present) are single numbers, neither scaled nor
    shaped, and whose header cards all parse."""
    unparsed = [key for key, value in header.items() if value is _UNPARSED]
    if unparsed:
        raise Unsupported(f"cards not parsed: {unparsed}")
    if header.get("XTENSION") != "BINTABLE" or header.get("BITPIX") != 8 \
            or header.get("NAXIS") != 2 or header.get("PCOUNT", 0) != 0 \
            or header.get("GCOUNT", 1) != 1:
        raise Unsupported("not a binary table without heap")
    row_bytes, n_rows = _integer(header, "NAXIS1"), _integer(header, "NAXIS2")
    columns = _column_layout(header)
    if sum(_width(column) for column in columns) != row_bytes:
        raise Unsupported("the columns do not fill a row")
    for name in needed:
        _check_numeric(columns, name)
    return BinaryTable(header, columns, raw, row_bytes, n_rows)


def _column_layout(header):
    columns, offset = [], 0
    for number in range(1, _integer(header, "TFIELDS") + 1):
        name, tform = header.get(f"TTYPE{number}"), header.get(f"TFORM{number}")
        if not isinstance(name, str) or not isinstance(tform, str):
            raise Unsupported(f"column {number} without TTYPE or TFORM")
        match = _TFORM.fullmatch(tform)
        if match is None:
            raise Unsupported(f"TFORM{number} = {tform!r}")
        repeat = int(match.group(1)) if match.group(1) else 1
        special = any(f"{key}{number}" in header for key in ("TSCAL", "TZERO", "TDIM")) \
            or match.group(3).strip() != ""
        column = Column(name, header.get(f"TUNIT{number}"), offset, match.group(2), repeat,
                        special)
        columns.append(column)
        offset += _width(column)
    return columns


def _width(column):
    if column.code == "X":
        return (column.repeat + 7) // 8
    return column.repeat * _TFORM_BYTES[column.code]


def _check_numeric(columns, name):
    """Refuse a column ``name`` (as astropy finds it) that is not a plain number; a missing
    column is left to the caller."""
    exact = [column for column in columns if column.name == name]
    folded = [column for column in columns if column.name.upper() == name.upper()]
    if not exact and len(folded) > 1:
        raise Unsupported(f"column {name} is ambiguous")
    for column in (exact or folded)[:1]:
        if column.code not in _NUMERIC or column.repeat != 1 or column.special:
            raise Unsupported(f"column {column.name} is not a plain number")


def data_checksum(raw):
    """FITS data checksum (32-bit ones' complement sum of big-endian words), as astropy's
    ``_compute_checksum``; the data zero-padded to whole words."""
    padded = raw + b"\0" * (-len(raw) % 4)
    halves = np.frombuffer(padded, dtype=">u2")
    high = int(np.add.reduce(halves[0::2], dtype=np.uint64))
    low = int(np.add.reduce(halves[1::2], dtype=np.uint64))
    high_carry, low_carry = high >> 16, low >> 16
    while high_carry or low_carry:
        high = (high & 0xFFFF) + low_carry
        low = (low & 0xFFFF) + high_carry
        high_carry, low_carry = high >> 16, low >> 16
    return (high << 16) + low
