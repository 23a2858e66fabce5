"""The gRPC edge process (`protocols.grpc.edge: process`): the main process's side.

`EdgeProcess` starts `python -m scrubber.receivers.otlp.edge_process` (a fresh interpreter,
not a fork of this large process), gives it its settings on stdin, learns its bound port,
relays its log lines through the receiver's logger and its refusal counts into the
receiver's counters, mirrors the main process's adaptive concurrency limit to it, and
restarts it on the same port if it dies. The main process serves the forwarded calls on a
private Unix socket in a fresh 0700 directory (see `receiver.py`).

Why the child stops by itself when this process dies: it watches its stdin, whose only
writer is this process, so end of file means a SIGKILL or a crash here, and nothing is left
listening on the port. The child's environment is an allow-list (no keys or tokens: it needs
none; authentication stays here).
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import itertools
import json
import logging
import os
import shutil
import socket
import sys
import tempfile
from pathlib import Path
from typing import Callable, Iterable

from scrubber.config.types import split_endpoint
from scrubber.pdata import Signal
from scrubber.receivers.otlp.admission import LAG_TICK, Admission
from scrubber.receivers.otlp.config import GRPCConfig
from scrubber.receivers.otlp.grpc_server import cannot_listen, listen_address

#: children per gRPC endpoint. One: once a hopeless call is refused at once, two children were
#: measured no better than one under 10x overload, and each costs ~45-60 MiB against
#: `memory_limiter` (tests/fuzz/README.md); `EdgeProcesses` runs more on one port if needed
EDGE_PROCESSES = 1
#: the child's module (named, not imported: `python -m` runs it as __main__)
MODULE = "scrubber.receivers.otlp.edge_process"
#: the longest the child may take to import and bind before start gives up
START_TIMEOUT = 30.0
#: back-off between restart attempts of a child that died (doubles up to the last)
RESTART_DELAYS = (0.0, 0.2, 0.5, 1.0, 2.0, 5.0)
#: environment variables the child gets (it needs no secret; PYTHONPATH is set apart)
_ENV_KEEP = ("PATH", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "TZ", "TMPDIR", "VIRTUAL_ENV",
             "SSL_CERT_FILE", "SSL_CERT_DIR")
_ENV_PREFIXES = ("GRPC_", "PYTHON")
#: the longest a relayed line from the child that is not one of its JSON log records may be
_RAW_LINE_CHARS = 200
_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR,
           "critical": logging.CRITICAL}


def child_environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k in _ENV_KEEP or k.startswith(_ENV_PREFIXES)}
    package_root = str(Path(__file__).resolve().parents[3])  # the directory holding `scrubber/`
    env["PYTHONPATH"] = os.pathsep.join(p for p in (package_root, env.get("PYTHONPATH", "")) if p)
    return env


def share(total: int, count: int) -> int:
    """One child's part of a bound (0 stays 'unbounded'), rounded up so no child gets none."""
    return total and max(1, -(-total // count))


class EdgeProcesses:
    """The children that serve one gRPC endpoint (`count` of them; more than one share the port
    with SO_REUSEPORT and the kernel spreads the connections). Why more than one can help: each
    refusal costs ~0.4 ms of CPU in grpc, and on a crowded machine the scheduler gives each
    process its share, so two children get two shares (or two cores). Each holds its share of
    the admission bounds, so together they forward what the main process takes."""

    def __init__(self, config: GRPCConfig, signals: Iterable[Signal], admission: Admission, logger: logging.Logger,
                 name: str, on_refusals: Callable[[str, int], None], count: int):
        self.config = config
        self.admission = admission
        self._dir = tempfile.mkdtemp(prefix="scrubber-edge-")  # 0700: only this user reaches the socket
        #: where the main process serves the forwarded calls
        self.upstream = f"unix:{self._dir}/grpc.sock"
        self.children = [EdgeProcess(config, signals, admission, logger, name, on_refusals, self.upstream, count)
                         for _ in range(count)]
        self._mirror: asyncio.Task | None = None

    @property
    def port(self) -> int | None:
        return self.children[0].port

    async def start(self) -> None:
        """The first child binds the endpoint (port 0: the OS picks), the others join it."""
        host, port = split_endpoint(self.config.endpoint)
        if port and len(self.children) > 1:
            refuse_if_taken(host, port, self.config.endpoint)  # SO_REUSEPORT would share it silently
        first, *others = self.children
        await first.start(self.config.endpoint)
        for child in others:
            await child.start(listen_address(host, first.port or 0))
        self._mirror = asyncio.get_running_loop().create_task(self._mirror_limit())

    async def _mirror_limit(self) -> None:
        """The children forward no more calls than the pipelines take now (the main process's
        adaptive limit), so calls wait, and are refused, there, not here."""
        sent = self.admission.limit
        while True:
            await asyncio.sleep(LAG_TICK)
            if self.admission.limit != sent:
                sent = self.admission.limit
                for child in self.children:
                    child.command({"limit": share(sent, len(self.children))})

    async def stop(self, timeout: float) -> None:
        if self._mirror is not None:
            self._mirror.cancel()
            await asyncio.gather(self._mirror, return_exceptions=True)
            self._mirror = None
        await asyncio.gather(*(child.stop(timeout) for child in self.children))

    def remove_socket_dir(self) -> None:
        shutil.rmtree(self._dir, ignore_errors=True)


def refuse_if_taken(host: str, port: int, endpoint: str) -> None:
    """OSError (the thread edge's text) if anything listens on host:port: the children bind it
    with SO_REUSEPORT, which another such socket of this user would share without an error."""
    try:
        infos = socket.getaddrinfo(host or None, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except OSError:
        return  # the child's bind reports it
    for family, kind, proto, _name, address in infos:
        with socket.socket(family, kind, proto) as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            try:
                probe.bind(address)
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    raise cannot_listen(endpoint) from None


class EdgeProcess:
    """One child: started, watched, restarted on its port, stopped."""

    def __init__(self, config: GRPCConfig, signals: Iterable[Signal], admission: Admission, logger: logging.Logger,
                 name: str, on_refusals: Callable[[str, int], None], upstream: str, count: int = 1):
        self.config = config
        self.signals = tuple(signals)
        self.admission = admission
        self._logger = logger
        self._name = name
        self._on_refusals = on_refusals
        self.upstream = upstream
        #: how many children share the port (each takes 1/count of the admission bounds)
        self.count = count
        #: the child's bound port (kept across restarts)
        self.port: int | None = None
        self._proc: asyncio.subprocess.Process | None = None
        self._readers: list[asyncio.Task] = []
        self._tasks: list[asyncio.Task] = []
        self._stopping = False

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    async def start(self, endpoint: str) -> None:
        """Start the child on `endpoint`; OSError (its message) if it cannot listen."""
        self.port = await self._spawn(endpoint)
        self._tasks = [asyncio.get_running_loop().create_task(self._supervise())]

    def _settings(self, endpoint: str) -> dict:
        grpc_config = self.config.model_copy(update={"endpoint": endpoint, "auth": None, "edge": "thread"})
        bounds = self.admission.config
        admission = bounds.model_copy(update={
            "max_in_flight_mib": share(bounds.max_in_flight_mib, self.count),
            "max_concurrent_requests": share(bounds.max_concurrent_requests, self.count),
            "max_queued_requests": share(bounds.max_queued_requests, self.count)})
        return {"grpc": grpc_config.model_dump(mode="json"), "admission": admission.model_dump(mode="json"),
                "signals": [str(s) for s in self.signals], "upstream": self.upstream, "reuse_port": self.count > 1,
                "limit": share(self.admission.limit, self.count),
                "log_level": logging.getLevelName(self._logger.getEffectiveLevel())}

    async def _spawn(self, endpoint: str) -> int:
        proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", MODULE, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE, env=child_environment(), start_new_session=True)
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        relay = asyncio.get_running_loop().create_task(self._relay_logs(proc.stderr))
        try:
            proc.stdin.write(json.dumps(self._settings(endpoint)).encode() + b"\n")
            await proc.stdin.drain()
            line = await asyncio.wait_for(proc.stdout.readline(), START_TIMEOUT)
            reply = _json(line)
        except (OSError, asyncio.TimeoutError):
            reply = {}
        except BaseException:  # cancelled (a shutdown during a restart): no child left behind
            with contextlib.suppress(ProcessLookupError):
                proc.kill()
            relay.cancel()
            raise
        if not isinstance(reply.get("port"), int):
            await _end(proc, 1.0)
            await asyncio.gather(relay, return_exceptions=True)
            raise OSError(reply.get("error") or f"otlp receiver: the gRPC edge process for {self.config.endpoint} "
                          f"exited before it listened (exit code {proc.returncode})")
        self._proc = proc
        self._readers = [relay, asyncio.get_running_loop().create_task(self._read_reports(proc.stdout))]
        return int(reply["port"])

    async def _supervise(self) -> None:
        """Restart the child on its port whenever it dies unasked (SIGKILL, OOM killer, a crash)."""
        while not self._stopping and self._proc is not None:
            code = await self._proc.wait()
            await asyncio.gather(*self._readers, return_exceptions=True)
            if self._stopping:
                return
            self._logger.warning("otlp receiver %s: gRPC edge process %d exited (code %s); restarting it on port %s",
                                 self._name, self._proc.pid, code, self.port)
            await self._restart()

    async def _restart(self) -> None:
        host, _ = split_endpoint(self.config.endpoint)
        for attempt in itertools.count():
            await asyncio.sleep(RESTART_DELAYS[min(attempt, len(RESTART_DELAYS) - 1)])
            try:
                await self._spawn(listen_address(host, self.port or 0))
            except OSError as error:
                self._logger.error("otlp receiver %s: gRPC edge process restart failed: %s", self._name, error)
                continue
            self._logger.info("otlp receiver %s: gRPC edge process %s listening again on port %s",
                              self._name, self.pid, self.port)
            return

    def command(self, command: dict) -> None:
        if self._proc is not None:
            _write(self._proc, command)

    async def _relay_logs(self, stream: asyncio.StreamReader) -> None:
        """The child's log records through the receiver's logger (its format, its outputs)."""
        while line := await stream.readline():
            entry = _json(line)
            if isinstance(entry.get("msg"), str):
                level = _LEVELS.get(str(entry.get("level")), logging.WARNING)
                self._logger.log(level, "otlp receiver %s: gRPC edge process: %s", self._name, entry["msg"])
            elif text := line.decode(errors="replace").strip():
                self._logger.warning("otlp receiver %s: gRPC edge process stderr: %s", self._name,
                                     text[:_RAW_LINE_CHARS])

    async def _read_reports(self, stream: asyncio.StreamReader) -> None:
        while line := await stream.readline():
            refused = _json(line).get("refused")
            if isinstance(refused, dict):
                for reason, count in refused.items():
                    if isinstance(count, int) and count > 0:
                        self._on_refusals(str(reason), count)

    async def stop(self, timeout: float) -> None:
        """Stop the child gracefully: it stops listening and gives in-flight calls `timeout`
        seconds (the main process's server must still be up meanwhile). Idempotent."""
        self._stopping = True
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []
        proc, self._proc = self._proc, None
        if proc is not None:
            _write(proc, {"stop": timeout})
            if proc.stdin is not None:
                proc.stdin.close()
            await _end(proc, timeout + 2.0)
            await asyncio.gather(*self._readers, return_exceptions=True)


def _write(proc: asyncio.subprocess.Process, command: dict) -> None:
    """One command line to the child; a child that is gone is the supervisor's business."""
    if proc.stdin is None or proc.returncode is not None:
        return
    with contextlib.suppress(OSError, RuntimeError):
        proc.stdin.write(json.dumps(command).encode() + b"\n")


async def _end(proc: asyncio.subprocess.Process, timeout: float) -> None:
    """Wait for the child to exit; SIGKILL it after `timeout`."""
    try:
        await asyncio.wait_for(proc.wait(), timeout)
    except asyncio.TimeoutError:
        with contextlib.suppress(ProcessLookupError):
            proc.kill()
        await proc.wait()


def _json(line: bytes) -> dict:
    try:
        value = json.loads(line)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}
