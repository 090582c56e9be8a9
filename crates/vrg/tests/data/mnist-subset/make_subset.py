#!/usr/bin/env python3
"""Makes the MNIST subset the tests read: the first rows of the original IDX files.

    python3 crates/vrg/tests/data/mnist-subset/make_subset.py SOURCE_DIR [OUT_DIR]

SOURCE_DIR holds the four original LeCun & Cortes files, gzipped
(train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz,
t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz); their uncompressed
MD5s are checked against the published ones before anything is written.
OUT_DIR defaults to this script's folder. Each output keeps its original's
IDX header (magic number and every dimension but the first) with the first
dimension set to the number of rows taken, and is gzipped with mtime 0 and no
file name, so the bytes do not depend on when or where the script runs
(given the same zlib). Only the Python standard library is used.
"""

import gzip
import hashlib
import io
import os
import struct
import sys

TRAIN_ROWS = 2000
TEST_ROWS = 1000

# (file, rows taken, MD5 of the uncompressed original)
FILES = [
    ("train-images-idx3-ubyte", TRAIN_ROWS, "6bbc9ace898e44ae57da46a324031adb"),
    ("train-labels-idx1-ubyte", TRAIN_ROWS, "a25bea736e30d166cdddb491f175f624"),
    ("t10k-images-idx3-ubyte", TEST_ROWS, "2646ac647ad5339dbf082846283269ea"),
    ("t10k-labels-idx1-ubyte", TEST_ROWS, "27ae3e4e09519cfbb04c329615203637"),
]


def first_rows(raw, rows):
    """The IDX file `raw` cut to its first `rows` rows, header adjusted."""
    zero, dtype, ndim = struct.unpack(">HBB", raw[:4])
    if zero != 0 or dtype != 0x08:
        raise ValueError(f"not an unsigned-byte IDX file (magic {raw[:4].hex()})")
    dims = list(struct.unpack(f">{ndim}I", raw[4 : 4 + 4 * ndim]))
    if rows > dims[0]:
        raise ValueError(f"asked for {rows} rows, the file has {dims[0]}")
    row_bytes = 1
    for d in dims[1:]:
        row_bytes *= d
    start = 4 + 4 * ndim
    body = raw[start : start + rows * row_bytes]
    return raw[:4] + struct.pack(f">{ndim}I", rows, *dims[1:]) + body


def gzip_fixed(data):
    """gzip bytes with mtime 0 and no file name in the header."""
    buffer = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=buffer, mtime=0, compresslevel=9) as f:
        f.write(data)
    return buffer.getvalue()


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__.strip().splitlines()[2].strip())
    source = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) == 3 else os.path.dirname(os.path.abspath(__file__))
    for name, rows, original_md5 in FILES:
        path = os.path.join(source, name + ".gz")
        if not os.path.isfile(path):
            sys.exit(f"{path} does not exist: SOURCE_DIR must hold the original MNIST files")
        with gzip.open(path, "rb") as f:
            raw = f.read()
        md5 = hashlib.md5(raw).hexdigest()
        if md5 != original_md5:
            sys.exit(f"{path}: MD5 {md5} of the uncompressed file, expected {original_md5}")
        subset = first_rows(raw, rows)
        compressed = gzip_fixed(subset)
        with open(os.path.join(out, name + ".gz"), "wb") as f:
            f.write(compressed)
        print(
            f"{name}.gz: first {rows} rows, {len(subset)} bytes uncompressed "
            f"(MD5 {hashlib.md5(subset).hexdigest()}), {len(compressed)} bytes gzipped"
        )


if __name__ == "__main__":
    main()
