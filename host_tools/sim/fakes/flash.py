"""A flash file system with a capacity, as littlefs on the band sees it: space goes by whole
blocks (a file of any size holds at least one, as where creating a file costs a block), a write
that does not fit raises ENOSPC, and a power cut can be made to happen at the N-th operation
(open, write, rename, remove, mkdir): that operation does not happen (a write stores only a
part of its bytes) and PowerCut is raised, which no `except OSError` catches.

Stands in for the `os` module and `open` of firmware/replog.py (CPython only):
`flash.install(replog_module)`; after a cut, `flash.reboot()` keeps what was stored."""

from __future__ import annotations

import errno
import os as _os

BLOCK = 4096


class PowerCut(BaseException):
    pass


class _File:
    def __init__(self, flash: FakeFlash, path: str, mode: str):
        self.flash, self.path, self.mode = flash, path, mode
        self.pos = 0

    def write(self, b) -> int:
        fl = self.flash
        data = bytes(b)
        cur = fl.files[self.path]
        if fl._cut_now():
            fl.files[self.path] = cur + data[: len(data) // 2]  # torn: half reached the flash
            raise PowerCut
        if fl._blocks_with(self.path, len(cur) + len(data)) > fl.capacity:
            raise OSError(errno.ENOSPC, "ENOSPC")
        fl.files[self.path] = cur + data
        return len(data)

    def read(self, n: int = -1) -> bytes:
        data = self.flash.files[self.path]
        out = data[self.pos:] if n < 0 else data[self.pos:self.pos + n]
        self.pos += len(out)
        return out

    def flush(self) -> None:
        pass

    def close(self) -> None:
        pass

    def __enter__(self) -> _File:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


class FakeFlash:
    def __init__(self, capacity_blocks: int, cut_at: int | None = None, dir_blocks: int = 2):
        self.capacity = capacity_blocks
        self.dirs: set[str] = {"/"}
        self.dir_blocks = dir_blocks  # littlefs keeps a directory in a pair of metadata blocks
        self.files: dict[str, bytes] = {}
        self.ops = 0
        self.cut_at = cut_at  # the operation (1-based) at which the power goes

    # -- bookkeeping -------------------------------------------------------------------------
    def _cut_now(self) -> bool:
        self.ops += 1
        return self.cut_at is not None and self.ops == self.cut_at

    def used_blocks(self) -> int:
        return self._blocks_with(None, 0)

    def _blocks_with(self, path: str | None, size: int) -> int:
        sizes = {p: len(b) for p, b in self.files.items()}
        if path is not None:
            sizes[path] = size
        return (len(self.dirs) - 1) * self.dir_blocks + sum(
            max(1, -(-n // BLOCK)) for n in sizes.values())

    def reboot(self) -> None:
        """Power back: what was stored stays; no cut planned."""
        self.cut_at = None

    @staticmethod
    def _norm(path: str) -> str:
        return _os.path.normpath("/" + path.lstrip("/"))

    # -- the `os` module -------------------------------------------------------------------
    def listdir(self, path: str) -> list[str]:
        d = self._norm(path)
        if d not in self.dirs:
            raise OSError(errno.ENOENT, "ENOENT")
        return sorted(p.rsplit("/", 1)[1] for p in self.files if p.rsplit("/", 1)[0] == d)

    def mkdir(self, path: str) -> None:
        d = self._norm(path)
        if d in self.dirs:
            raise OSError(errno.EEXIST, "EEXIST")
        if self._cut_now():
            raise PowerCut
        if self._blocks_with(None, 0) + self.dir_blocks > self.capacity:
            raise OSError(errno.ENOSPC, "ENOSPC")
        self.dirs.add(d)

    def stat(self, path: str) -> tuple:
        p = self._norm(path)
        if p in self.files:
            return (0o100000, 0, 0, 0, 0, 0, len(self.files[p]), 0, 0, 0)
        if p in self.dirs:
            return (0o040000, 0, 0, 0, 0, 0, 0, 0, 0, 0)
        raise OSError(errno.ENOENT, "ENOENT")

    def statvfs(self, path: str) -> tuple:
        free = max(0, self.capacity - self.used_blocks())
        return (BLOCK, BLOCK, self.capacity, free, free, 0, 0, 0, 0, 255)

    def remove(self, path: str) -> None:
        p = self._norm(path)
        if p not in self.files:
            raise OSError(errno.ENOENT, "ENOENT")
        if self._cut_now():
            raise PowerCut
        del self.files[p]

    def rename(self, old: str, new: str) -> None:
        a, b = self._norm(old), self._norm(new)
        if a not in self.files:
            raise OSError(errno.ENOENT, "ENOENT")
        if self._cut_now():
            raise PowerCut
        self.files[b] = self.files.pop(a)

    def urandom(self, n: int) -> bytes:
        return _os.urandom(n)

    def open(self, path: str, mode: str = "r"):
        p = self._norm(path)
        if "r" in mode:
            if p not in self.files:
                raise OSError(errno.ENOENT, "ENOENT")
            return _File(self, p, mode)
        if p.rsplit("/", 1)[0] not in self.dirs:
            raise OSError(errno.ENOENT, "ENOENT")
        if self._cut_now():
            raise PowerCut
        if "w" in mode or p not in self.files:
            if self._blocks_with(p, 0) > self.capacity:  # a new file takes a block at once
                raise OSError(errno.ENOSPC, "ENOSPC")
            self.files[p] = b""
        return _File(self, p, mode)

    def install(self, module, monkeypatch) -> None:
        """Make `module` (firmware/replog.py, loaded on CPython) use this flash."""
        monkeypatch.setattr(module, "os", self)
        monkeypatch.setattr(module, "open", self.open, raising=False)
