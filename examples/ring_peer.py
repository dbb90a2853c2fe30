#!/usr/bin/env python3
"""A reader and writer of @seed/mmap's Ring in Python, with the standard library only.

    python3 examples/ring_peer.py produce NAME COUNT [BYTE_LENGTH]
    python3 examples/ring_peer.py consume NAME COUNT [BYTE_LENGTH]

NAME is a POSIX shared memory region (/dev/shm/NAME) that holds a ring at
offset 0 of BYTE_LENGTH bytes (default 65792: Ring.bytesFor(65536)). Message i
is `message(i)` below: i % 61 bytes, so that records of every size and the
padding record at the end of the data area all occur. Each side prints one JSON
line: {"messages": N, "hash": H, "inOrder": true|false}; H hashes every length
and byte, so equal hashes mean equal messages.

The layout is README's "Ring layout" (src/sync/ring_layout.ts). What this
file does that JavaScript does with Atomics, and why it is enough here:

* The indices are read and written through memoryview.cast("I"), which loads
  and stores one aligned 32-bit word with one instruction (CPython copies the
  item with a 4-byte memcpy): never torn.
* Order. The producer writes a record, then stores head; the consumer loads
  head, then reads the record; the consumer reads a record, then stores tail.
  On x86_64 the hardware keeps stores in order and loads in order (TSO), and
  CPython runs each step as a separate C call that the compiler cannot move
  past the next, so the peer sees the record before the index. On aarch64 the
  hardware may reorder them and the standard library has no memory barrier:
  this reader and writer are for x86_64 (they refuse other machines).
* Waking a sleeping JavaScript peer. A JavaScript side about to sleep sets bit
  0 of the index it sleeps on and waits on that word with futex(2). Python has
  no atomic exchange, so it reads the word, stores the new index, and if the
  old value had bit 0 set it calls FUTEX_WAKE through ctypes (standard library
  too). A peer that set the bit between that read and that store sleeps until
  its next liveness check (at most 200 ms) instead of waking at once: the
  messages are never lost, only late. Python itself waits by polling.
"""
import ctypes
import json
import mmap
import os
import platform
import struct
import sys
import time

MAGIC = 0x474E4952  # "RING"
VERSION = 1
HEADER_BYTES = 256
RECORD_HEADER = 8
PADDING = 0xFFFFFFFF
ASLEEP = 1
# Int32 words of the header.
STATE, VERSION_WORD, CAPACITY_WORD, HEADER_WORD, PRODUCER, CONSUMER = range(6)
HEAD, TAIL = 16, 32
MASK32 = 0xFFFFFFFF

SYS_FUTEX = {"x86_64": 202, "aarch64": 98}.get(platform.machine())
FUTEX_WAKE = 1


class RingCorruptError(ValueError):
    """An index or length in the ring that no ring protocol produces."""


def capacity_for(byte_length):
    c = 64
    while c * 2 <= byte_length - HEADER_BYTES and c * 2 <= 1 << 30:
        c *= 2
    return c


def message(i):
    return bytes((i * 31 + j * 7) & 0xFF for j in range(i % 61))


class Ring:
    def __init__(self, mm, byte_length):
        self.mm = mm
        self.capacity = capacity_for(byte_length)
        self.max_message = self.capacity // 2 - RECORD_HEADER
        self.words = memoryview(mm).cast("B")[:HEADER_BYTES].cast("I")
        self.data = memoryview(mm).cast("B")[HEADER_BYTES:HEADER_BYTES + self.capacity]
        self.data_words = self.data.cast("I")
        self._libc = ctypes.CDLL(None, use_errno=True) if SYS_FUTEX else None
        self._set_up()

    def _set_up(self):
        w = self.words
        if w[STATE] == 0:
            # Python has no compare-and-swap: set up only a ring that nobody
            # else is setting up (start Python after the JavaScript side, or
            # alone on fresh memory).
            w[VERSION_WORD], w[CAPACITY_WORD], w[HEADER_WORD] = VERSION, self.capacity, HEADER_BYTES
            w[STATE] = MAGIC
        if w[STATE] != MAGIC or w[VERSION_WORD] != VERSION:
            raise RingCorruptError("no version-1 ring here")
        if w[CAPACITY_WORD] != self.capacity or w[HEADER_WORD] != HEADER_BYTES:
            raise RingCorruptError("the ring here has another size: pass the same byte length")

    def close(self):
        for v in (self.data_words, self.data, self.words):
            v.release()

    def _wake(self, index):
        if not self._libc:
            return
        holder = ctypes.c_char.from_buffer(self.mm, index * 4)
        try:
            self._libc.syscall(SYS_FUTEX, ctypes.addressof(holder), FUTEX_WAKE, 0x7FFFFFFF, 0, 0, 0)
        finally:
            del holder

    def _publish(self, index, value):
        old = self.words[index]
        self.words[index] = value & MASK32
        if old & ASLEEP:
            self._wake(index)

    def _poll(self, index, seen, deadline):
        """Waits until word `index` (less bit 0) is not `seen`; returns it."""
        pause = 0.0
        while True:
            v = self.words[index] & ~ASLEEP & MASK32
            if v != seen:
                return v
            if time.monotonic() > deadline:
                raise TimeoutError("the other side made no progress for 30 s")
            time.sleep(pause)
            pause = min(pause * 2 or 1e-6, 1e-3)

    def produce(self, messages, timeout=30.0):
        """Writes each message, publishing each with one store of head."""
        w, cap = self.words, self.capacity
        w[PRODUCER] = os.getpid()
        head = w[HEAD] & ~ASLEEP & MASK32
        tail = w[TAIL] & ~ASLEEP & MASK32
        for msg in messages:
            n = len(msg)
            if n > self.max_message:
                raise ValueError(f"a message of {n} bytes is longer than maxMessage")
            rec = (RECORD_HEADER + n + 7) & ~7
            pos = head & (cap - 1)
            to_end = cap - pos
            need = rec if rec <= to_end else to_end + rec
            while ((head - tail) & MASK32) + need > cap:
                tail = self._poll(TAIL, tail, time.monotonic() + timeout)
                if (head - tail) & MASK32 > cap or tail & 7:
                    raise RingCorruptError(f"tail {tail} is not behind head {head}")
            if rec > to_end:
                struct.pack_into("<II", self.data, pos, PADDING, 0)
                head = (head + to_end) & MASK32
                pos = 0
            struct.pack_into("<II", self.data, pos, n, 0)
            self.data[pos + RECORD_HEADER:pos + RECORD_HEADER + n] = msg
            head = (head + rec) & MASK32
            self._publish(HEAD, head)

    def consume(self, count, timeout=30.0):
        """Yields `count` messages (copies), freeing each with one store of tail."""
        w, cap = self.words, self.capacity
        w[CONSUMER] = os.getpid()
        tail = w[TAIL] & ~ASLEEP & MASK32
        head = tail
        got = 0
        while got < count:
            if head == tail:
                head = self._poll(HEAD, tail, time.monotonic() + timeout)
            avail = (head - tail) & MASK32
            if avail > cap or avail & 7:
                raise RingCorruptError(f"head {head} is {avail} bytes ahead of tail {tail}")
            pos = tail & (cap - 1)
            n = self.data_words[pos // 4]
            if n == PADDING:
                if cap - pos > avail:
                    raise RingCorruptError(f"a padding record at {pos} runs past head")
                tail = (tail + cap - pos) & MASK32
                continue
            if n > self.max_message or RECORD_HEADER + n > avail or pos + RECORD_HEADER + n > cap:
                raise RingCorruptError(f"a record at {pos} says {n} bytes")
            yield bytes(self.data[pos + RECORD_HEADER:pos + RECORD_HEADER + n])
            tail = (tail + ((RECORD_HEADER + n + 7) & ~7)) & MASK32
            self._publish(TAIL, tail)
            got += 1


def fnv(h, data):
    for b in data:
        h = ((h ^ b) * 16777619) & MASK32
    return h


def tally(msgs):
    h = 2166136261
    for m in msgs:
        h = fnv(fnv(h, len(m).to_bytes(4, "little")), m)
    return h


def main():
    if len(sys.argv) < 4 or sys.argv[1] not in ("produce", "consume"):
        print(__doc__.split("\n\n")[1])
        sys.exit(0 if sys.argv[1:2] in (["-h"], ["--help"]) else 2)
    if platform.machine() != "x86_64":
        sys.exit("ring_peer.py relies on x86_64's store and load order (see its docstring)")
    role, name, count = sys.argv[1], sys.argv[2], int(sys.argv[3])
    byte_length = int(sys.argv[4]) if len(sys.argv) > 4 else 65792
    fd = os.open(f"/dev/shm/{name}", os.O_RDWR)
    mm = mmap.mmap(fd, byte_length, mmap.MAP_SHARED)
    os.close(fd)
    ring = Ring(mm, byte_length)
    try:
        if role == "produce":
            msgs = [message(i) for i in range(count)]
            ring.produce(msgs)
            print(json.dumps({"messages": count, "hash": tally(msgs), "inOrder": True}))
        else:
            in_order, seen = True, []
            for i, m in enumerate(ring.consume(count)):
                in_order = in_order and m == message(i)
                seen.append(m)
            print(json.dumps({"messages": len(seen), "hash": tally(seen), "inOrder": in_order}))
    finally:
        ring.close()
        mm.close()


if __name__ == "__main__":
    main()
