"""Replays the Dockerfile's install steps on this machine, where no Docker engine runs.

The replay reads the real Dockerfile and .dockerignore, so a change to either is what the
tests exercise: the build context is filtered by .dockerignore as Docker filters it, each
stage's COPY, ENV, WORKDIR and RUN are carried out with the image's absolute paths mapped
into a host folder, and the runtime stage's ENV, VOLUME, HEALTHCHECK, ENTRYPOINT and CMD come
back as data for the tests to run. What cannot be replayed without root (creating the image's
user in the runtime stage) is skipped and said so.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

#: absolute paths of the image that the replay maps into host folders; any other absolute
#: path in a COPY, WORKDIR, VOLUME or RUN is a replay error, so nothing writes to the host's /
MAPPED_PREFIXES = ("/src", "/wheels", "/opt/scrubber", "/etc/scrubber", "/var/lib/scrubber")


@dataclass
class Instruction:
    keyword: str
    args: str


@dataclass
class Stage:
    base: str
    name: str | None
    instructions: list[Instruction] = field(default_factory=list)

    def all(self, keyword: str) -> list[Instruction]:
        return [i for i in self.instructions if i.keyword == keyword]

    def last(self, keyword: str) -> Instruction | None:
        found = self.all(keyword)
        return found[-1] if found else None


def parse(text: str) -> list[Stage]:
    """The Dockerfile's stages, with continuation lines joined and comments dropped."""
    stages: list[Stage] = []
    logical, pending = [], ""
    for raw in text.splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1].strip() + " "
            continue
        logical.append(pending + line)
        pending = ""
    for line in logical:
        keyword, _, args = line.partition(" ")
        keyword, args = keyword.upper(), args.strip()
        if keyword == "FROM":
            words = args.split()
            name = words[2] if len(words) >= 3 and words[1].upper() == "AS" else None
            stages.append(Stage(words[0], name))
        elif not stages:
            raise ValueError(f"{keyword} before FROM")
        else:
            stages[-1].instructions.append(Instruction(keyword, args))
    return stages


def exec_form(args: str) -> list[str]:
    """A JSON-array argument (CMD, ENTRYPOINT, VOLUME); shell form is split like /bin/sh -c would get it."""
    if args.startswith("["):
        return json.loads(args)
    return ["/bin/sh", "-c", args]


def healthcheck_command(stage: Stage) -> list[str]:
    """The HEALTHCHECK's CMD, options (--interval ...) removed."""
    check = stage.last("HEALTHCHECK")
    if check is None:
        raise ValueError("no HEALTHCHECK")
    _, _, command = check.args.partition("CMD ")
    return exec_form(command.strip())


def env_pairs(args: str, environ: dict[str, str]) -> dict[str, str]:
    """`ENV K=V K2="v 2"`, with $VAR / ${VAR} expanded from what is set so far, as Docker does."""
    pairs = {}
    for word in shlex.split(args):
        if "=" not in word:
            raise ValueError(f"ENV {args!r}: only the KEY=VALUE form is replayed")
        key, _, value = word.partition("=")
        pairs[key] = re.sub(r"\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?", lambda m, known=environ: known.get(m[1], ""), value)
        environ = {**environ, key: pairs[key]}
    return pairs


class DockerIgnore:
    """.dockerignore as Docker reads it: the last matching pattern wins, `!` lets a path back
    in, and a pattern that matches a parent directory matches everything below it."""

    def __init__(self, text: str):
        self.patterns: list[tuple[bool, re.Pattern]] = []
        self.negated: list[str] = []
        for line in text.splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            negate = line.startswith("!")
            pattern = os.path.normpath(line.lstrip("!").strip().lstrip("/"))
            self.patterns.append((negate, re.compile(_glob_regex(pattern))))
            if negate:
                self.negated.append(pattern)

    def prunable(self, directory: str) -> bool:
        """An excluded directory that no `!` pattern could let anything back in from."""
        if not self.excluded(directory):
            return False
        return not any(p.startswith((directory + "/", "*", "?", "[")) for p in self.negated)

    def excluded(self, relative: str) -> bool:
        parts = Path(relative).parts
        candidates = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        verdict = False
        for negate, regex in self.patterns:
            if any(regex.fullmatch(c) for c in candidates):
                verdict = not negate
        return verdict


def _glob_regex(pattern: str) -> str:
    out, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out, i = out + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            out, i = out + ".*", i + 2
        elif pattern[i] == "*":
            out, i = out + "[^/]*", i + 1
        elif pattern[i] == "?":
            out, i = out + "[^/]", i + 1
        elif pattern[i] == "[":
            end = pattern.index("]", i)
            out, i = out + pattern[i:end + 1], end + 1
        else:
            out, i = out + re.escape(pattern[i]), i + 1
    return out


def context_files(root: Path, ignore: DockerIgnore) -> list[str]:
    """Every file of the build context that .dockerignore lets through (relative paths)."""
    kept = []
    for folder, dirs, files in os.walk(root):
        base = Path(folder).relative_to(root).as_posix()
        prefix = "" if base == "." else base + "/"
        dirs[:] = sorted(d for d in dirs if not ignore.prunable(prefix + d))
        kept.extend(prefix + f for f in sorted(files) if not ignore.excluded(prefix + f))
    return sorted(kept)


class PathMap:
    """Image paths -> host paths: each mapped prefix has its own host folder."""

    def __init__(self, folders: dict[str, Path]):
        assert set(folders) <= set(MAPPED_PREFIXES), folders
        self.folders = folders

    def host(self, image_path: str) -> Path:
        for prefix in sorted(self.folders, key=len, reverse=True):
            if image_path == prefix or image_path.startswith(prefix + "/"):
                return self.folders[prefix] / image_path[len(prefix):].lstrip("/")
        raise ValueError(f"{image_path}: not under a replayed prefix {sorted(self.folders)}")

    def command(self, text: str) -> str:
        """An image command line with every mapped absolute path replaced by its host path."""
        def replace(match: re.Match) -> str:
            return str(self.host(match[0]))
        prefixes = "|".join(re.escape(p) for p in sorted(self.folders, key=len, reverse=True))
        return re.sub(rf"(?<![\w.-])(?:{prefixes})(?:/[^\s\"':]*)?", replace, text)


@dataclass
class Replay:
    """Carries out the COPY / WORKDIR / ENV / RUN steps of one stage on the host."""

    context: Path
    paths: PathMap
    environ: dict[str, str]
    workdir: str = "/"
    ignore: DockerIgnore | None = None
    skipped: list[str] = field(default_factory=list)

    def stage(self, stage: Stage, run: bool = True, log: Path | None = None) -> None:
        for step in stage.instructions:
            if step.keyword == "WORKDIR":
                self.workdir = step.args if step.args.startswith("/") else f"{self.workdir}/{step.args}"
                self.paths.host(self.workdir).mkdir(parents=True, exist_ok=True)
            elif step.keyword == "ENV":
                self.environ.update(env_pairs(step.args, self.environ))
            elif step.keyword == "COPY":
                self.copy(step.args)
            elif step.keyword == "RUN":
                if run:
                    self.run(step.args, log)
                else:
                    self.skipped.append(f"RUN {step.args}")

    def copy(self, args: str) -> None:
        words = args.split()
        if words[0].startswith("--from="):
            return  # the earlier stage's output is already in the shared host folder
        *sources, dest = [w for w in words if not w.startswith("--")]
        target = dest if dest.startswith("/") else f"{self.workdir}/{dest}"
        host_target = self.paths.host(os.path.normpath(target))
        for source in sources:
            self._copy_one(source, host_target, into=dest.endswith("/") or len(sources) > 1)

    def _copy_one(self, source: str, target: Path, into: bool) -> None:
        origin = self.context / source
        relative = Path(source).as_posix()
        if self.ignore and self.ignore.excluded(relative):
            raise FileNotFoundError(f"COPY {source}: excluded by .dockerignore, Docker would fail")
        if origin.is_dir():
            if target.exists():
                shutil.rmtree(target)
            for file in context_files(origin, DockerIgnore("")):
                if self.ignore and self.ignore.excluded(f"{relative}/{file}"):
                    continue
                (target / file).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(origin / file, target / file)
        else:
            destination = target / origin.name if into else target
            destination.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(origin, destination)

    def run(self, command: str, log: Path | None) -> None:
        mapped = self.paths.command(command)
        out = log.open("ab") if log else subprocess.DEVNULL
        try:
            result = subprocess.run(["/bin/sh", "-c", mapped], cwd=self.paths.host(self.workdir), env=self.environ,
                                    stdout=out, stderr=subprocess.STDOUT, timeout=1500)
        finally:
            if log:
                out.close()
        if result.returncode != 0:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise RuntimeError(f"RUN {command!r} failed with {result.returncode}:\n{tail}")
