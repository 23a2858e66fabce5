"""How scrubber creates the files that hold telemetry: owner only, or owner and one group.

Data files (the `file` and `quarantine` exporters) and persistent queue files (the
`file_storage` extension) may hold raw personal data, so they are created 0600 whatever
the umask, and the directories made for them 0700. A deployment whose log shipper or
backup agent runs as another user sets `file_group` on the component: its files are then
0640 and given to that group, its new directories 0750 and given to it too, so that
group can read and nobody else. Keys, the subject vault and erasure receipts never take
that option: they are always `PRIVATE`.

The Collector has no such option (`file_storage` has `directory_permissions` only and
writes its database 0600; the file exporter writes 0600), so the name is ours, the same
in every component that writes data files.
"""

from __future__ import annotations

import grp
import os
from dataclasses import dataclass
from typing import Annotated

from pydantic import BeforeValidator

PRIVATE_FILE_MODE = 0o600
GROUP_FILE_MODE = 0o640
PRIVATE_DIRECTORY_MODE = 0o700
GROUP_DIRECTORY_MODE = 0o750


def _group_value(value: object) -> object:
    """A gid as a number (YAML `2000` or `"2000"`) or a group name; resolved later, on the host."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise ValueError("must be a group name or a numeric gid")
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value.strip())
    if isinstance(value, int) and value < 0:
        raise ValueError("a gid cannot be negative")
    if isinstance(value, str) and not value.strip():
        raise ValueError("must be a group name or a numeric gid, not empty")
    return value


#: `file_group` in a component config: a group name or a gid; absent means owner only
FileGroup = Annotated[int | str | None, BeforeValidator(_group_value)]


def group_id(group: int | str) -> int:
    """The gid `group` names. A number is taken as is: Kubernetes' fsGroup often has no
    entry in the image's group database. A name must exist on this host."""
    if isinstance(group, int):
        return group
    try:
        return grp.getgrnam(group).gr_gid
    except KeyError:
        raise LookupError(f"no group {group!r} on this host (give a group name it knows, or a numeric gid)") from None


def group_errors(group: int | str | None, key: str = "file_group") -> list[str]:
    """For a config's `deployment_errors()`: the group, if set, exists on this host."""
    if group is None:
        return []
    try:
        group_id(group)
    except LookupError as exc:
        return [f"{key}: {exc}"]
    return []


@dataclass(frozen=True)
class FileAccess:
    """Who may read the files a component creates: the owner (`gid` None), or the owner and
    the group `gid` as well. Existing directories are left as the operator set them."""

    gid: int | None = None

    @classmethod
    def at_start(cls, group: int | str | None, key_path: str) -> "FileAccess":
        """The access a component starts with: its `file_group` resolved and checked, or an
        OSError naming `key_path` (which `scrubber run` reports as `cannot start: ...`)."""
        if group is None:
            return PRIVATE
        try:
            access = cls(group_id(group))
        except LookupError as exc:  # the group went away after validation
            raise FileNotFoundError(f"{key_path}: {exc}") from None
        access.check_can_share(key_path)
        return access

    @property
    def file_mode(self) -> int:
        return PRIVATE_FILE_MODE if self.gid is None else GROUP_FILE_MODE

    @property
    def directory_mode(self) -> int:
        return PRIVATE_DIRECTORY_MODE if self.gid is None else GROUP_DIRECTORY_MODE

    def check_can_share(self, key_path: str) -> None:
        """A process may give its files only to a group it is in (or as root): refuse to
        start rather than fail on the first write."""
        if self.gid is None or os.geteuid() == 0 or self.gid in {os.getegid(), *os.getgroups()}:
            return
        raise PermissionError(
            f"{key_path}: this process (uid {os.geteuid()}) is not a member of group {self.gid} and cannot give its "
            f"files to it; add the user to the group (Kubernetes: securityContext.fsGroup or supplementalGroups) "
            f"or remove file_group")

    def open(self, path: str, flags: int) -> int:
        """`os.open` for writing with this access whatever the umask; an existing file is set to
        it too. The file is given to the group before the group may read it, never after."""
        fd = os.open(path, flags, PRIVATE_FILE_MODE)
        try:
            self.apply(fd)
        except BaseException:
            os.close(fd)
            raise
        return fd

    def apply(self, fd: int) -> None:
        os.fchmod(fd, PRIVATE_FILE_MODE)
        if self.gid is not None:
            os.fchown(fd, -1, self.gid)
            os.fchmod(fd, GROUP_FILE_MODE)

    def make_directory(self, path: str, mode: int | None = None) -> None:
        """Create `path` and its missing parents, each given to the group; directories that
        exist are not touched. Without `mode`, each gets exactly `directory_mode`, whatever the
        umask; a configured `mode` (file_storage's `directory_permissions`) is taken minus the
        umask, as the Collector documents it."""
        missing = []
        here = os.path.abspath(path)
        while not os.path.isdir(here):
            missing.append(here)
            parent = os.path.dirname(here)
            if parent == here:
                break
            here = parent
        for directory in reversed(missing):
            try:
                os.mkdir(directory, PRIVATE_DIRECTORY_MODE if mode is None else mode)
            except FileExistsError:
                continue  # made meanwhile by another component: theirs
            if self.gid is not None:
                os.chown(directory, -1, self.gid)
            if mode is None:
                os.chmod(directory, self.directory_mode)


#: owner only: keys, the subject vault, receipts, and data files without `file_group`
PRIVATE = FileAccess()
