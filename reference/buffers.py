"""Large per-connection buffers that take memory only while a transfer uses them.

`bytearray(n)` writes n zero bytes at once (CPython memsets it), so a connection that
preallocates its 1 MiB record and DATA buffers costs their full size in RSS from the
moment it is established, used or not — about 6 MiB per EKE connection before this
module. An anonymous private mapping is zero-filled by the kernel on first touch
instead: a buffer costs only the pages a transfer actually wrote, and `release`
gives them back when the transfer is over (the next use finds zeros again), so an
idle connection holds a few pages whatever its frame limit [LIM-6].

Both are plain writable buffers (`memoryview`, `recv_into`, `readinto`,
`struct.pack_into`, `encrypt_into` accept them); nothing here changes what is sent.
"""

from __future__ import annotations

import mmap

__all__ = ["lazy_buffer", "release"]


def lazy_buffer(size: int) -> mmap.mmap:
    """A zeroed, writable buffer of `size` (> 0) bytes whose pages cost memory once written."""
    if size <= 0:
        raise ValueError("a buffer needs a positive size")
    return mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)


def release(buffer: mmap.mmap) -> None:
    """Returns the buffer's pages to the system; its content reads as zeros afterwards.

    Only for a buffer whose content is no longer needed (between transfers).
    """
    if not buffer.closed:
        buffer.madvise(mmap.MADV_DONTNEED)
