"""What landing may read: regular files, reached through real folders inside the landing folder.

Departments write into landing/, so anything may be there. Landing reads only regular files
in `landing/<department>/<feed>/`. Anything else is refused: reported by the landing
inventory and the sensor with its reason, and never opened by the run, the sensor or the
one-day API:

- a symbolic link, wherever it points (to /etc/passwd, or to a file of the data directory):
  following it would store another file's lines in the lake, readable by whoever reads it;
- a named pipe (FIFO), a socket or a device: reading one may block forever or act on a device;
- a folder where a delivery file is expected;
- a name that is not valid UTF-8: no report can name it as it is, so no one could find it.

A file is opened without following a link at any step of its path (`O_NOFOLLOW`, folder by
folder from the landing folder), then read through that open file: a link swapped in after
the check is never followed. File names are shown with `shown_name`, so that a name's
undecodable bytes or control characters reach no report, log or metadata as they are.
"""

from __future__ import annotations

import os
import stat
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pipelines.lib.ingest.read import UnreadableFile

# Where a process sees its own open files by number, each as a link to the very file it opened
# (Linux). Elsewhere a delivery is read by its name once checked, which leaves the moment
# between check and read open to a swap.
_OWN_OPEN_FILES = Path("/proc/self/fd")

WHAT_TO_DO = (
    "deliver each file itself, as a regular file named as its contract says, into "
    "landing/<department>/<feed>/, and remove what was refused; then run again"
)


class RefusedFile(UnreadableFile):
    """A landing path that is not a regular file inside the landing folder: never read."""


def shown_name(name: str) -> str:
    """A path or file name as text any report, log or JSON can hold, one line long.

    Python keeps the bytes of a name that are not UTF-8 as lone surrogates, which no UTF-8
    writer accepts: they are shown as `\\xff` escapes, and so are control characters (a
    newline in a name would otherwise make two lines of one).
    """
    try:
        raw = name.encode("utf-8", "surrogateescape")
    except UnicodeEncodeError:  # a surrogate no file system gave: shown as its code point
        return _escape_controls(name.encode("utf-8", "backslashreplace").decode("utf-8"))
    return _escape_controls(raw.decode("utf-8", "backslashreplace"))


def _escape_controls(text: str) -> str:
    return "".join(
        f"\\x{ord(char):02x}" if ord(char) < 0x20 or ord(char) == 0x7F else char for char in text
    )


def undecodable(name: str) -> bool:
    """Whether a name read from the file system holds bytes that are not UTF-8."""
    return any("\ud800" <= char <= "\udfff" for char in name)


def refusal(path: Path) -> str | None:
    """Why landing must not read `path` (looked at without following a link), or None for a
    regular file with a UTF-8 name. Folders are refused too: call it where a file is expected."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "gone while landing was looked at"
    kind = _not_regular(mode, path)
    if kind is not None:
        return kind
    if undecodable(path.name):
        return (
            "its name is not valid UTF-8 (its bytes are shown as \\x escapes): rename it as "
            "its contract says"
        )
    return None


def refused_folder(path: Path) -> str | None:
    """Why landing must not look into `path` (a department's or a feed's folder), or None."""
    try:
        mode = path.lstat().st_mode
    except FileNotFoundError:
        return "gone while landing was looked at"
    if stat.S_ISLNK(mode):
        return _link(path) + ": landing never looks into a linked folder"
    if not stat.S_ISDIR(mode):
        return "not a <department>/<feed>/ folder"
    if undecodable(path.name):
        return "its name is not valid UTF-8 (its bytes are shown as \\x escapes)"
    return None


def _not_regular(mode: int, path: Path) -> str | None:
    if stat.S_ISREG(mode):
        return None
    if stat.S_ISLNK(mode):
        return _link(path) + ": landing never follows links"
    if stat.S_ISDIR(mode):
        return "a folder where a delivery file is expected"
    if stat.S_ISFIFO(mode):
        return "a named pipe (FIFO), not a regular file"
    if stat.S_ISSOCK(mode):
        return "a socket, not a regular file"
    return "a device, not a regular file"


def _link(path: Path) -> str:
    try:
        target = shown_name(os.readlink(path))
    except OSError:
        return "a symbolic link"
    return f"a symbolic link (to {target})"


def file_size(path: Path) -> int:
    """Its size in bytes, without following a link (a link's own size, never its target's)."""
    try:
        return path.lstat().st_size
    except FileNotFoundError:
        return 0


@contextmanager
def opened_delivery(landing: Path, relative: str) -> Iterator[Path]:
    """The regular file at `relative` (`<department>/<feed>/<name>`) inside `landing`, opened
    without following a link anywhere on its way, as a path the readers can open: it leads to
    the very file checked, whatever is renamed or swapped in meanwhile (on Linux).

    RefusedFile, naming the file and why, for a link, anything not a regular file, or a path
    leaving the folder; FileNotFoundError when there is no such file.
    """
    parts = relative.split("/")
    shown = f"landing/{shown_name(relative)}"
    if any(part in ("", ".", "..") or "\0" in part for part in parts):
        raise RefusedFile(f"{shown}: the path leaves the landing folder: never read")
    folder = os.open(landing, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
    try:
        for part in parts[:-1]:
            inner = _open_folder(folder, part, shown)
            os.close(folder)
            folder = inner
        name = parts[-1]
        try:
            mode = os.stat(name, dir_fd=folder, follow_symlinks=False).st_mode
        except FileNotFoundError:
            raise FileNotFoundError(f"{shown}: no such delivery file") from None
        reason = _not_regular(mode, landing / relative)
        if reason is not None:
            raise RefusedFile(f"{shown}: {reason}: never read")
        # Non-blocking: a FIFO swapped in after the check above cannot hold the open.
        flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | os.O_NOCTTY | os.O_CLOEXEC
        try:
            handle = os.open(name, flags, dir_fd=folder)
        except OSError as error:
            raise RefusedFile(
                f"{shown}: changed while being opened ({error.strerror}): never read"
            ) from error
    finally:
        os.close(folder)
    try:
        if not stat.S_ISREG(os.fstat(handle).st_mode):
            raise RefusedFile(f"{shown}: changed into something not a regular file: never read")
        if not _OWN_OPEN_FILES.is_dir():
            yield landing / relative
            return
        # The readers open a path, and name the file by its last part: a link of our own, in a
        # folder only this process can write, named as the delivery, to the file opened above.
        with tempfile.TemporaryDirectory(prefix="safecity-landing-") as private:
            readable = Path(private) / name
            readable.symlink_to(_OWN_OPEN_FILES / str(handle))
            yield readable
    finally:
        os.close(handle)


def _open_folder(folder: int, part: str, shown: str) -> int:
    """The folder `part` inside the open `folder`, never through a link."""
    try:
        return os.open(
            part, os.O_RDONLY | os.O_DIRECTORY | os.O_NOFOLLOW | os.O_CLOEXEC, dir_fd=folder
        )
    except FileNotFoundError:
        raise FileNotFoundError(f"{shown}: no such delivery file") from None
    except OSError as error:  # ELOOP or ENOTDIR: a link, or not a folder
        raise RefusedFile(
            f"{shown}: {part} is not a real folder (a link or a file): never read"
        ) from error
