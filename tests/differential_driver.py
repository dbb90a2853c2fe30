"""CPython's side of the differential fuzzer (tests/differential_*.ts).

Reads sequences (one JSON object per line) from the file named by argv[1],
runs each on CPython's mmap, and writes one JSON line of results per
sequence to argv[2], flushed as it goes, so that a crash names its sequence.
The first output line describes this interpreter.

Where @seed/mmap differs from CPython on purpose (README, "Deliberate
differences"), this driver translates the call the way the JavaScript API
reads it, and counts each translation by name in "notes", so that the
fuzzer can report how often each documented difference was exercised:

  STR_AS_UTF8       a str where bytes are expected is UTF-8 (JS strings)
  NEEDLE_BYTE       an int needle is one byte, like bytes([n])
  NULL_OMITTED      None for an optional argument means "omitted"
  ACCESS_NAMES      access given by name ("read", "write", "copy", "default")
  BOOL_NOT_INT      a bool is not an integer in JS (True is 1 in Python)
  FLUSH_TO_END      flush(offset) flushes to the end (CPython 3.15)
  FLUSH_FLAGS       flush()'s { async, invalidate } are 3.15's flags=MS_*, which
                    this driver passes to msync(2) through ctypes
  COUNT             count() is bytes.count over the map, start at the position
  INCLUDES          includes(sub) is find(sub, 0) != -1 (any length)
  ITER_INTS         iteration yields ints, not 1-byte bytes
  SEEKABLE_313      seekable() is new in 3.13, and always True
  SHARED_ANON_GROW  growing a shared anonymous map is refused (CPython 3.14;
                    3.11-3.13 "succeed", then die of SIGBUS on access)
  RESIZE_ZERO       resize(0) leaves an empty map (CPython: EINVAL, and for a
                    file the map outlives the truncated file): comparison
                    stops there; MMap still runs the rest (nothing may crash)

The translations choose which call to make; the values and errors come from
CPython's mmap. Two stand in for a newer CPython than this one, and say so:
SHARED_ANON_GROW raises 3.14's error, SEEKABLE_313 answers 3.13's True.
"""
import base64
import hashlib
import json
import mmap
import os
import sys
import tempfile

PY = sys.version_info[:2]
HAS_TRACKFD = PY >= (3, 13)
ACCESS_BY_NAME = {
    "default": mmap.ACCESS_DEFAULT,
    "read": mmap.ACCESS_READ,
    "write": mmap.ACCESS_WRITE,
    "copy": mmap.ACCESS_COPY,
}


class Stop(Exception):
    """The rest of the sequence is not comparable (a documented difference)."""

    def __init__(self, name):
        super().__init__(name)
        self.name = name


class NotAnInt:
    """What a JS boolean is to an integer, a needle or bytes: neither."""

    def __repr__(self):
        return "NotAnInt"


def decode(v, notes):
    """An encoded argument (see differential_gen.ts) as a Python value."""
    t = v["t"]
    if t == "int":
        return int(v["v"])
    if t == "float":
        return float(v["v"])
    if t == "str":
        return v["v"]
    if t == "bytes":
        raw = bytes.fromhex(v["v"])
        kind = v.get("py", "bytes")
        if kind == "bytearray":
            return bytearray(raw)
        if kind == "memoryview":
            return memoryview(raw)
        return raw
    if t == "none":
        return None
    if t == "list":
        return [1, 2]
    if t == "obj":
        return {}
    if t == "bool":
        note(notes, "BOOL_NOT_INT")
        return NotAnInt()
    raise ValueError("unknown encoded type " + t)


def note(notes, name):
    notes[name] = notes.get(name, 0) + 1


def check_open(m):
    # CPython checks for a closed map before converting arguments (3.11-3.13).
    if m.closed:
        raise ValueError("mmap closed or invalid")


def as_data(x, notes):
    """A bytes-like argument as JS reads it: strings are UTF-8."""
    if isinstance(x, str):
        note(notes, "STR_AS_UTF8")
        return x.encode("utf-8")
    return x


def as_needle(x, notes):
    """A search needle as JS reads it: a string is UTF-8, an int one byte."""
    if isinstance(x, int) and not isinstance(x, bool):
        note(notes, "NEEDLE_BYTE")
        return bytes([x])  # ValueError outside 0..255, as JS's RangeError
    return as_data(x, notes)


def optional(x, default, notes):
    if x is None:
        note(notes, "NULL_OMITTED")
        return default()
    return x


def bounds(m, args, notes):
    """find/rfind/count's start and end, None meaning omitted."""
    start = optional(args[0], m.tell, notes) if len(args) > 0 else m.tell()
    end = optional(args[1], lambda: len(m), notes) if len(args) > 1 else len(m)
    return start, end


def slice_of(args):
    padded = list(args) + [None] * (3 - len(args))
    return slice(padded[0], padded[1], padded[2])


def resize(m, st, args, notes):
    (size,) = args
    if (
        st["anonymous"]
        and st["shared"]
        and isinstance(size, int)
        and st["trackfd"]
        and st["access"] in (mmap.ACCESS_WRITE, mmap.ACCESS_DEFAULT)
        and 0 <= size <= sys.maxsize - st["offset"]
        and not m.closed
        and size > len(m)
        and PY < (3, 14)
    ):
        # CPython 3.14's check, at the place 3.14 makes it; earlier versions
        # would grow the map and die of SIGBUS on the first access.
        note(notes, "SHARED_ANON_GROW")
        raise ValueError("mmap: can't expand a shared anonymous mapping on Linux")
    try:
        return m.resize(size)
    except OSError as e:
        # mremap(2) refuses a size of 0 with EINVAL, after ftruncate(2) has
        # cut the file to the map's offset; an EINVAL of ftruncate itself (a
        # read-only descriptor) leaves the file as it was, and is compared.
        if size == 0 and e.errno == 22 and (
            st["anonymous"] or os.stat(st["path"]).st_size == st["offset"]
        ):
            raise Stop("RESIZE_ZERO") from e
        raise


def call(m, st, op, args, opts, notes):
    if op == "read":
        return m.read(*args)
    if op == "readByte":
        return m.read_byte()
    if op == "readline":
        return m.readline()
    if op == "write":
        check_open(m)
        return m.write(*[as_data(a, notes) for a in args])
    if op == "writeByte":
        return m.write_byte(*args)
    if op == "seek":
        return m.seek(*args)
    if op == "tell":
        return m.tell()
    if op in ("find", "rfind"):
        check_open(m)
        needle = as_needle(args[0], notes)
        start, end = bounds(m, args[1:], notes)
        return getattr(m, op)(needle, start, end)
    if op == "count":
        check_open(m)
        note(notes, "COUNT")
        needle = as_needle(args[0], notes)
        start, end = bounds(m, args[1:], notes)
        m.find(needle, start, end)  # the same argument checks as find
        return m[:].count(needle, start, end)
    if op == "includes":
        check_open(m)
        note(notes, "INCLUDES")
        return m.find(as_needle(args[0], notes), 0) != -1
    if op == "move":
        return m.move(*args)
    if op == "resize":
        return resize(m, st, args, notes)
    if op == "slice":
        check_open(m)
        return m[slice_of(args)]
    if op == "at":
        return m[args[0]]
    if op == "set":
        m[args[0]] = args[1]
        return None
    if op == "setSlice":
        check_open(m)
        start, stop, data = args[0], args[1], args[2]
        step = args[3] if len(args) > 3 else None
        m[start:stop:step] = as_data(data, notes)
        return None
    if op == "flush":
        check_open(m)
        offset = optional(args[0], lambda: 0, notes) if len(args) > 0 else 0
        if len(args) > 1:
            size = optional(args[1], lambda: len(m) - offset, notes)
        elif isinstance(offset, int) and not isinstance(offset, NotAnInt):
            if args:
                note(notes, "FLUSH_TO_END")
            size = len(m) - offset
        else:
            return m.flush(offset)  # CPython's own TypeError
        result = m.flush(offset, size)
        if opts and st["access"] not in (mmap.ACCESS_READ, mmap.ACCESS_COPY):
            note(notes, "FLUSH_FLAGS")
            msync(m, offset, size, opts)
        return result
    if op == "madvise":
        check_open(m)
        if len(args) > 2:
            args = [args[0], args[1], optional(args[2], lambda: len(m), notes)]
        return m.madvise(*args)
    if op == "size":
        return m.size()
    if op == "length":
        return len(m)
    if op == "closed":
        return m.closed
    if op == "close":
        return m.close()
    if op == "iter":
        note(notes, "ITER_INTS")
        return [b[0] for b in m]
    if op == "repr":
        return repr(m)
    if op == "bytes":
        return m[:]
    if op == "seekable":
        if not hasattr(m, "seekable"):  # new in 3.13; always True
            note(notes, "SEEKABLE_313")
            return True
        return m.seekable()
    raise ValueError("unknown op " + op)


# <sys/mman.h> on Linux; CPython's mmap has them from 3.15 only.
MS_ASYNC, MS_INVALIDATE, MS_SYNC = 1, 2, 4


def msync(m, offset, size, opts):
    """flush()'s { async, invalidate } options: CPython 3.15's flags=, through ctypes."""
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    libc.msync.argtypes = [ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int]
    flags = (MS_ASYNC if opts.get("async") else MS_SYNC) | (
        MS_INVALIDATE if opts.get("invalidate") else 0
    )
    view = (ctypes.c_char * len(m)).from_buffer(m)
    try:
        if libc.msync(ctypes.addressof(view) + offset, size, flags) != 0:
            code = ctypes.get_errno()
            raise OSError(code, os.strerror(code))
    finally:
        del view  # the export would block close() and resize()


def encode(x):
    if isinstance(x, (bytes, bytearray)):
        return {"b": bytes(x).hex()}
    return x


def error(e):
    out = {"e": type(e).__name__, "m": str(e)}
    if isinstance(e, OSError):
        out["e"] = "OSError"
        out["errno"] = e.errno
    return out


def open_map(spec, path, directory, notes):
    """Opens the map as the sequence says; returns (map, state)."""
    o = spec["open"]
    kind = o["kind"]
    kwargs = {}
    for key, value in o.get("opts", {}).items():
        if key == "trackfd" and value["t"] == "bool":
            kwargs[key] = value["v"]  # a real boolean option in JS too
            continue
        x = decode(value, notes)
        if x is None and key != "trackfd":
            note(notes, "NULL_OMITTED")
            continue
        if key == "access" and isinstance(x, str):
            note(notes, "ACCESS_NAMES")
            x = ACCESS_BY_NAME.get(x, 4)  # an unknown name is an invalid access
        kwargs[key] = x
    length_args = [decode(o["length"], notes)] if "length" in o else []
    if kind == "path":
        # MMap.open(path, { access, length, offset }): read-only by default;
        # the file is opened read-write for "write" and "default".
        length = kwargs.pop("length", 0)
        access = kwargs.setdefault("access", mmap.ACCESS_READ)
        write = access in (mmap.ACCESS_WRITE, mmap.ACCESS_DEFAULT)
        fd = os.open(path, os.O_RDWR if write else os.O_RDONLY)
        try:
            m = mmap.mmap(fd, length, **kwargs)
        finally:
            os.close(fd)
    elif kind in ("fd", "dir"):
        flags = os.O_RDWR if o.get("mode") == "r+" else os.O_RDONLY
        fd = os.open(directory if kind == "dir" else path, flags)
        try:
            m = mmap.mmap(fd, *length_args, **kwargs)
        finally:
            os.close(fd)
    else:  # "anon" and "badfd": the descriptor is in the spec
        m = mmap.mmap(decode(o["fd"], notes), *length_args, **kwargs)
    # What CPython's new_mmap_object keeps: access replaces flags and prot;
    # under ACCESS_DEFAULT the access is derived from prot, flags stay.
    flags = kwargs.get("flags", mmap.MAP_SHARED)
    access = kwargs.get("access", mmap.ACCESS_DEFAULT)
    if access in (mmap.ACCESS_READ, mmap.ACCESS_WRITE):
        flags = mmap.MAP_SHARED
    elif access == mmap.ACCESS_COPY:
        flags = mmap.MAP_PRIVATE
    else:
        prot = kwargs.get("prot", mmap.PROT_READ | mmap.PROT_WRITE)
        if not (prot & mmap.PROT_READ and prot & mmap.PROT_WRITE):
            access = mmap.ACCESS_WRITE if prot & mmap.PROT_WRITE else mmap.ACCESS_READ
    state = {
        "anonymous": kind in ("anon", "badfd"),
        # MAP_SHARED_VALIDATE (3) is shared too; 3.14 tests only MAP_PRIVATE's
        # bit, so it would let such a map grow, and crash.
        "shared": bool(flags & mmap.MAP_SHARED),
        "trackfd": kwargs.get("trackfd", True),
        "access": access,
        "offset": kwargs.get("offset", 0),
        "path": path,
    }
    return m, state


def run(spec, directory):
    notes = {}
    path = os.path.join(directory, "seq-%s.bin" % spec["seed"])
    with open(path, "wb") as f:
        f.write(base64.b64decode(spec["file"]))
    out = {"seed": spec["seed"], "results": [], "notes": notes}
    m = None
    try:
        try:
            m, st = open_map(spec, path, directory, notes)
            out["open"] = {"v": None}
        except Exception as e:  # noqa: BLE001 - every error is a result
            out["open"] = error(e)
        if m is not None:
            for step in spec["ops"]:
                try:
                    args = [decode(a, notes) for a in step.get("args", [])]
                    value = call(m, st, step["op"], args, step.get("opts"), notes)
                    result = {"v": encode(value)}
                    if step["op"] == "seek" and value is None:
                        result["pos"] = m.tell()  # 3.11/3.12 return None
                    out["results"].append(result)
                except Stop as s:
                    out["results"].append({"stop": s.name})
                    note(notes, s.name)
                    m.close()  # the rest cannot be compared, or even touched
                    break
                except Exception as e:  # noqa: BLE001
                    out["results"].append(error(e))
        if m is not None:
            m.close()
        with open(path, "rb") as f:
            data = f.read()
        out["file"] = {"size": len(data), "sha256": hashlib.sha256(data).hexdigest()}
        if spec.get("verbose"):
            out["file"]["hex"] = data.hex()
    finally:
        os.unlink(path)
    return out


def main():
    src, dst = sys.argv[1], sys.argv[2]
    with open(src) as f, open(dst, "w") as out, tempfile.TemporaryDirectory(
        prefix="mmap-diff-py-"
    ) as directory:
        header = {
            "python": "%d.%d.%d" % sys.version_info[:3],
            "trackfd": HAS_TRACKFD,
            "pagesize": mmap.PAGESIZE,
        }
        out.write(json.dumps(header) + "\n")
        out.flush()
        for line in f:
            if line.strip():
                out.write(json.dumps(run(json.loads(line), directory)) + "\n")
                out.flush()


if __name__ == "__main__":
    main()
