"""Path confinement for the `files` server: a path is checked as text, resolved under the root, then
opened by walking directory descriptors with O_NOFOLLOW, so neither `..`, a symlink nor a race between
check and use reaches outside the root. Writes go to a temporary file that is renamed into place.
"""

from __future__ import annotations

import errno
import os
import secrets
import stat
from collections.abc import Iterator
from contextlib import contextmanager

MAX_PATH_CHARS = 4096
MAX_NAME_BYTES = 255
_DIR_FLAGS = os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC
_FILE_FLAGS = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_CLOEXEC  # NONBLOCK: a FIFO never hangs us


_LINK_LOOP_OR_RACE = "a symbolic link in it loops, or changed while it was opened"


class PathRefusedError(ValueError):
    """A path the files server will not touch; the message says why and names the path."""

    def __init__(self, path: str, reason: str) -> None:
        super().__init__(f"path {path[:200]!r} refused: {reason}")
        self.path = path
        self.reason = reason


def split_path(path: str) -> tuple[str, ...]:
    """The components of a root-relative path, after refusing every form that could mean elsewhere.

    Raises:
        PathRefusedError: Absolute, `~`, drive letter, `..`, backslash, control character, too long.
    """
    if len(path) > MAX_PATH_CHARS:
        raise PathRefusedError(path, f"longer than {MAX_PATH_CHARS} characters")
    if any(ord(char) < 32 or ord(char) == 127 for char in path):
        raise PathRefusedError(path, "contains a control character")
    if "\\" in path:
        raise PathRefusedError(path, "contains a backslash; separate directories with '/'")
    if path.startswith("/"):
        raise PathRefusedError(path, "absolute paths are not allowed; paths are relative to the root")
    if path.startswith("~"):
        raise PathRefusedError(path, "home-directory paths are not allowed; paths are relative to the root")
    if len(path) >= 2 and path[1] == ":" and path[0].isalpha():
        raise PathRefusedError(path, "drive-letter paths are not allowed; paths are relative to the root")
    parts = tuple(part for part in path.split("/") if part not in ("", "."))
    for part in parts:
        if part == "..":
            raise PathRefusedError(path, "'..' is not allowed; paths stay inside the root")
        if len(part.encode("utf-8", "surrogatepass")) > MAX_NAME_BYTES:
            raise PathRefusedError(path, f"a name is longer than {MAX_NAME_BYTES} bytes")
    return parts


def _is_link(name: str, dir_fd: int) -> bool:
    try:
        return stat.S_ISLNK(os.stat(name, dir_fd=dir_fd, follow_symlinks=False).st_mode)
    except OSError:
        return False


def _describe_os_error(exc: OSError, path: str) -> OSError:
    """An OSError whose message names the path the model asked for, not an internal one."""
    reasons = {
        errno.ENOENT: "no such file or directory",
        errno.ENOTDIR: "a component of the path is not a directory",
        errno.EISDIR: "is a directory",
        errno.EEXIST: "already exists",
        errno.EACCES: "permission denied",
        errno.EPERM: "permission denied",
        errno.ENOSPC: "no space left on the device",
        errno.ENAMETOOLONG: "name too long",
    }
    reason = reasons.get(exc.errno or 0, exc.strerror or str(exc))
    return type(exc)(f"{path!r}: {reason}")


class Root:
    """The directory the files server may touch, and safe ways to open things under it.

    Raises:
        ValueError: `root` is not an existing directory.
    """

    def __init__(self, root: str | os.PathLike[str]) -> None:
        real = os.path.realpath(root)
        if not os.path.isdir(real):
            raise ValueError(f"files root {os.fspath(root)!r} is not an existing directory")
        self.path = real

    def resolve(self, path: str) -> tuple[str, ...]:
        """The root-relative components of what `path` names once symlinks inside the root are followed.

        Raises:
            PathRefusedError: The path is malformed or leads outside the root through a symlink.
        """
        parts = split_path(path)
        full = os.path.realpath(os.path.join(self.path, *parts))
        if os.path.commonpath([self.path, full]) != self.path:
            raise PathRefusedError(path, "a symbolic link in it leads outside the root")
        return tuple(part for part in os.path.relpath(full, self.path).split(os.sep) if part not in ("", "."))

    @contextmanager
    def directory(self, parts: tuple[str, ...], path: str, *, create: bool = False) -> Iterator[int]:
        """A descriptor of the directory `parts`, reached one component at a time without following links.

        Args:
            parts: Resolved components (from `resolve`).
            path: The path as the caller wrote it, for error messages.
            create: Create missing directories on the way.
        """
        fd = os.open(self.path, _DIR_FLAGS)
        try:
            for name in parts:
                if create:
                    try:
                        os.mkdir(name, dir_fd=fd)
                    except FileExistsError:
                        pass
                try:
                    next_fd = os.open(name, _DIR_FLAGS, dir_fd=fd)
                except OSError as exc:
                    # O_DIRECTORY | O_NOFOLLOW on a link fails with ENOTDIR (or ELOOP): say why
                    if exc.errno in (errno.ELOOP, errno.ENOTDIR) and _is_link(name, fd):
                        raise PathRefusedError(path, _LINK_LOOP_OR_RACE) from None
                    raise _describe_os_error(exc, path) from None
                os.close(fd)
                fd = next_fd
        except BaseException:
            os.close(fd)
            raise
        try:
            yield fd
        finally:
            os.close(fd)

    @contextmanager
    def regular_file(self, parts: tuple[str, ...], path: str) -> Iterator[tuple[int, os.stat_result]]:
        """A read-only descriptor of the regular file `parts`, with its stat; anything else is refused."""
        if not parts:
            raise IsADirectoryError(f"{path!r} is the root directory; use list_directory")
        with self.directory(parts[:-1], path) as dir_fd:
            try:
                fd = os.open(parts[-1], _FILE_FLAGS, dir_fd=dir_fd)
            except OSError as exc:
                if exc.errno == errno.ELOOP:
                    raise PathRefusedError(path, _LINK_LOOP_OR_RACE) from None
                raise _describe_os_error(exc, path) from None
        try:
            info = os.fstat(fd)
            if stat.S_ISDIR(info.st_mode):
                raise IsADirectoryError(f"{path!r} is a directory; use list_directory")
            if not stat.S_ISREG(info.st_mode):
                raise PathRefusedError(path, "not a regular file (a device, FIFO or socket)")
            yield fd, info
        finally:
            os.close(fd)

    def write_atomic(self, parts: tuple[str, ...], path: str, data: bytes) -> None:
        """Write `data` to a temporary file beside the target, fsync it, rename it over the target, and
        fsync the directory: a crash leaves the old file or the new one, never half of one.

        Missing parent directories are created.
        """
        if not parts:
            raise IsADirectoryError(f"{path!r} is the root directory, not a file")
        name = parts[-1]
        with self.directory(parts[:-1], path, create=True) as dir_fd:
            mode = self._existing_mode(name, dir_fd, path)
            temp = f".{secrets.token_hex(8)}.tmp"
            fd = os.open(
                temp,
                os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                0o666,
                dir_fd=dir_fd,
            )
            try:
                try:
                    if mode is not None:
                        os.fchmod(fd, mode)
                    view = memoryview(data)
                    while view:
                        view = view[os.write(fd, view) :]
                    os.fsync(fd)
                finally:
                    os.close(fd)
                os.replace(temp, name, src_dir_fd=dir_fd, dst_dir_fd=dir_fd)
            except BaseException:
                try:
                    os.unlink(temp, dir_fd=dir_fd)
                except OSError:
                    pass
                raise
            os.fsync(dir_fd)

    @staticmethod
    def _existing_mode(name: str, dir_fd: int, path: str) -> int | None:
        """The permission bits to keep when `name` exists as a regular file; None when it does not exist."""
        try:
            info = os.stat(name, dir_fd=dir_fd, follow_symlinks=False)
        except FileNotFoundError:
            return None
        if stat.S_ISDIR(info.st_mode):
            raise IsADirectoryError(f"{path!r} is a directory")
        if not stat.S_ISREG(info.st_mode):
            raise PathRefusedError(path, "exists and is not a regular file (a link, device, FIFO or socket)")
        return stat.S_IMODE(info.st_mode)
