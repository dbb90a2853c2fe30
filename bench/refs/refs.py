"""The CPython references of the bench: the same work done with CPython's
mmap module, the way a Python programmer would write it. Driven over
stdin/stdout by bench/main.ts: one request line in, one JSON line out
({"s": seconds, "r": result}); each request times one repetition.

usage: refs.py text floats small write cold
"""
import json
import mmap
import os
import sys
import time

text_path, floats_path, small_path, write_path, cold_path = sys.argv[1:6]


def open_map(path):
    with open(path, "rb") as f:
        return mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)


text = open_map(text_path)
floats = open_map(floats_path)


def offsets(n, limit):
    """The 32-bit LCG every implementation uses for random offsets."""
    state = 12345
    out = []
    for _ in range(n):
        state = (state * 1664525 + 1013904223) & 0xFFFFFFFF
        out.append(int(state / 4294967296.0 * limit))
    return out


cached_offsets = {}


def offsets_cached(n, limit):
    # Computing the offsets is not part of the work measured.
    key = (n, limit)
    if key not in cached_offsets:
        cached_offsets.clear()
        cached_offsets[key] = offsets(n, limit)
    return cached_offsets[key]


def find(arg, n):
    return text.find(bytes.fromhex(arg), 0)


def rfind(arg, n):
    return text.rfind(bytes.fromhex(arg), 0)


def count(arg, n):
    # CPython's mmap has no count(): a readline loop is how lines are counted.
    text.seek(0)
    c = 0
    for _ in iter(text.readline, b""):
        c += 1
    # A last line without a newline is a line, not a newline.
    return c - (len(text) > 0 and text[len(text) - 1] != 10)


def readline(arg, n):
    text.seek(0)
    c = 0
    for _ in iter(text.readline, b""):
        c += 1
    return c


def random_slice(arg, n):
    m = text
    r = 0
    for o in offsets_cached(n, len(m) - 4096):
        r += m[o : o + 4096][0]
    return r


def random_read(arg, n):
    m = text
    r = 0
    for o in offsets_cached(n, len(m) - 4096):
        m.seek(o)
        r += m.read(4096)[0]
    return r


def random_readinto(arg, n):
    # The CPython way to copy into a reused buffer: no bytes object per record.
    buf = bytearray(4096)
    dst = memoryview(buf)
    src = memoryview(text)
    r = 0
    for o in offsets_cached(n, len(text) - 4096):
        dst[:] = src[o : o + 4096]
        r += buf[0]
    return r


def random_slice_sized(arg, n):
    m = text
    size = int(arg)
    r = 0
    for o in offsets_cached(n, len(m) - size):
        r += m[o : o + size][0]
    return r


def random_read_sized(arg, n):
    m = text
    size = int(arg)
    r = 0
    for o in offsets_cached(n, len(m) - size):
        m.seek(o)
        r += m.read(size)[0]
    return r


def seqslice(arg, n):
    m = text
    r = 0
    for o in range(0, len(m), 1 << 20):
        r += m[o : o + (1 << 20)][-1]
    return r


def seqreadinto(arg, n):
    buf = bytearray(1 << 20)
    dst = memoryview(buf)
    src = memoryview(text)
    r = 0
    for o in range(0, len(text), 1 << 20):
        k = min(1 << 20, len(text) - o)
        dst[:k] = src[o : o + k]
        r += buf[k - 1]
    return r


def seqread(arg, n):
    text.seek(0)
    r = 0
    while True:
        b = text.read(1 << 20)
        if not b:
            return r
        r += b[-1]


def write(arg, n):
    with open(write_path, "r+b") as f:
        m = mmap.mmap(f.fileno(), 0)
        record = bytearray(b"w" * 4096)
        t = time.perf_counter()
        for o in range(0, len(m) - 4095, 4096):
            record[0] = (o >> 12) & 0xFF
            m.write(record)
        m.flush()
        s = time.perf_counter() - t
        size = len(m)
        m.close()
    return s, size


def fsum(arg, n):
    return int(sum(memoryview(floats).cast("d")))


def at(arg, n):
    m = text
    r = 0
    for o in offsets_cached(n, len(m)):
        r += m[o]
    return r


def openclose(arg, n):
    r = 0
    for _ in range(n):
        with open(small_path, "rb") as f:
            with mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ) as m:
                r += m.read()[0]
    return r


def resize(arg, n):
    with open(arg, "w+b") as f:
        f.truncate(1 << 20)
        m = mmap.mmap(f.fileno(), 1 << 20)
        size = 1 << 20
        while size < n:
            size += 1 << 20
            m.resize(size)
            m[size - 1] = 1
        m.close()
    os.unlink(arg)
    return size


def cold(arg, n):
    with open(cold_path, "rb") as f:
        os.posix_fadvise(f.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        t = time.perf_counter()
        if arg == "populate":
            m = mmap.mmap(
                f.fileno(),
                0,
                flags=mmap.MAP_SHARED | mmap.MAP_POPULATE,
                prot=mmap.PROT_READ,
            )
        else:
            m = mmap.mmap(f.fileno(), 0, access=mmap.ACCESS_READ)
        if arg == "sequential":
            m.madvise(mmap.MADV_SEQUENTIAL)
        elif arg == "willneed":
            m.madvise(mmap.MADV_WILLNEED)
        r = 0
        for o in range(0, len(m), 4096):
            r += m[o]
        s = time.perf_counter() - t
        m.close()
    return s, r


def evict(arg, n):
    fd = os.open(cold_path, os.O_RDONLY)
    os.fdatasync(fd)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
    return 0


CASES = {
    "find": find,
    "rfind": rfind,
    "count": count,
    "readline": readline,
    "random-slice": random_slice,
    "random-read": random_read,
    "seqread": seqread,
    "random-readinto": random_readinto,
    "random-slice-sized": random_slice_sized,
    "random-read-sized": random_read_sized,
    "seqslice": seqslice,
    "seqreadinto": seqreadinto,
    "write": write,
    "sum": fsum,
    "at": at,
    "openclose": openclose,
    "resize": resize,
    "cold": cold,
    "evict": evict,
}

for line in sys.stdin:
    parts = line.split()
    if not parts:
        continue
    parts += ["", "0"][len(parts) - 1 :]
    cmd, arg, n = parts[:3]
    fn = CASES.get(cmd)
    if fn is None:
        print(json.dumps({"skip": f"no CPython reference for {cmd}"}), flush=True)
        continue
    if cmd in ("random-slice", "random-read", "random-readinto", "at"):
        offsets_cached(int(n), len(text) - (0 if cmd == "at" else 4096))
    if cmd in ("random-slice-sized", "random-read-sized"):
        offsets_cached(int(n), len(text) - int(arg))
    t = time.perf_counter()
    r = fn(arg, int(n))
    s = time.perf_counter() - t
    if cmd in ("write", "cold"):
        s, r = r
    print(json.dumps({"s": s, "r": r}), flush=True)
