"""Admission: what the receiver lets in, decided before the work and answered at once.

Three bounds, shared by both transports of one receiver:

- **memory**: the process-wide memory gate of the `memory_limiter` (if a pipeline
  has one) is asked before a body is read; above its soft limit the request is
  refused without reading further;
- **bytes in flight**: every request holds a `Ticket` from the moment its bytes
  are read, charged for the bytes on the wire, again for the decompressed bytes
  (as they are inflated, so a burst is refused before it expands) and for the
  decoded message (`DECODED_FACTOR` times the decompressed size); the sum over all
  requests stays under `max_in_flight_mib`;
- **concurrency**: at most `max_concurrent_requests` requests are in the pipelines;
  up to `max_queued_requests` more wait at most `queue_timeout` for a slot.

Slots may be taken on two event loops of one process at once (with `grpc.edge: process`, the
private gRPC server runs on the pipeline loop and HTTP on the edge loop): the counts change
under a lock, and a place freed on one loop is handed to a waiter of the other through that
waiter's own loop (`_hand_over`), never by resolving its future from a foreign thread.

A request refused by a bound that frees up is answered RESOURCE_EXHAUSTED +
RetryInfo / 429 + Retry-After with a back-off derived from the measured drain rate
(requests completed per second), so clients back off instead of waiting out their
deadline. A request that could never fit, even with the receiver idle, is refused
as permanent (413 / INVALID_ARGUMENT): retrying it would never succeed.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import threading
import time

import grpc

from scrubber.component import ComponentConfig
from scrubber.config.types import Duration, NonNegativeInt
from scrubber.receivers.otlp.status import Refusal, invalid

MIB = 1024 * 1024
#: a decoded message and the strings the processors make of it, per decompressed byte
DECODED_FACTOR = 2
MIN_RETRY, MAX_RETRY = 1.0, 30.0
#: the loop lag above which the concurrency limit shrinks, how often it is measured, the floor
LAG_TARGET, LAG_TICK, MIN_LIMIT = 0.1, 0.05, 2
#: while calls are refused for want of a slot, the pipeline loop gives up the interpreter lock
#: for YIELD_SECONDS after every YIELD_TICK of its own work (see `yield_while_refusing`)
YIELD_TICK, YIELD_SECONDS = 0.01, 0.03


class AdmissionConfig(ComponentConfig):
    #: MiB held by requests in flight (read, decompressed, decoded), both transports; 0 = unbounded
    max_in_flight_mib: NonNegativeInt = 256
    #: requests in the pipelines at once; 0 = unbounded
    max_concurrent_requests: NonNegativeInt = 64
    #: requests that may wait for a slot; beyond, refused at once
    max_queued_requests: NonNegativeInt = 256
    #: the longest a request waits for a slot before it is refused
    queue_timeout: Duration = 0.5


def exhausted(message: str, retry_after: float) -> Refusal:
    return Refusal(grpc.StatusCode.RESOURCE_EXHAUSTED, message, retry_after=retry_after)


class Admission:
    def __init__(self, config: AdmissionConfig, on_refusal=None, shed_hopeless: bool = False):
        self.config = config
        #: refuse at once a call that could not get a place within queue_timeout at the measured
        #: drain rate, instead of letting it wait that long for its refusal (the gRPC edge process)
        self.shed_hopeless = shed_hopeless
        self.budget = config.max_in_flight_mib * MIB
        self.held = 0
        self.in_flight = 0
        self.queued = 0
        #: the memory_limiter's gate (anything with `refusal() -> float | None`), set at start
        self.memory_gate = None
        self._lock = threading.Lock()  # tickets are charged from decode threads too
        #: slots are taken and freed on the pipeline loop and the edge loop (module docstring)
        self._slots_lock = threading.Lock()
        #: the concurrency limit now: `max_concurrent_requests`, lowered while the event loop lags
        self.limit = config.max_concurrent_requests
        self._waiters: collections.deque[asyncio.Future] = collections.deque()
        self._on_refusal = on_refusal or (lambda reason, transport: None)
        #: calls refused for want of a slot so far (read by `yield_while_refusing`)
        self.saturated_refusals = 0
        self._rate = 0.0  # requests completed per second, smoothed
        self._window_start, self._window_done = time.monotonic(), 0
        self._window_length = float("inf")  # of the last measured window: the rate is stale if long

    # -- bytes ------------------------------------------------------------------
    def ticket(self, transport: str) -> "Ticket":
        """A new request arrives: refused at once while memory is above the limiter's soft limit."""
        retry_after = self.memory_gate.refusal() if self.memory_gate is not None else None
        if retry_after is not None:
            self._on_refusal("memory", transport)
            raise exhausted("data refused due to high memory usage", retry_after)
        return Ticket(self, transport)

    def _charge(self, n: int, total: int, transport: str) -> None:
        if not self.budget:
            return
        if total > self.budget:  # this request alone is more than the whole budget
            self._on_refusal("too_large", transport)
            raise invalid(f"request too large to admit: needs {total // MIB + 1} MiB in flight, more than "
                          f"max_in_flight_mib ({self.budget // MIB})", http_status=413)
        with self._lock:
            if self.held + n > self.budget:
                refused = True
            else:
                self.held += n
                refused = False
        if refused:
            self._on_refusal("in_flight_bytes", transport)
            raise exhausted("receiver busy: too many bytes in flight", self.retry_after())

    def _uncharge(self, n: int) -> None:
        if self.budget and n:
            with self._lock:
                self.held -= n

    # -- slots ------------------------------------------------------------------
    def _full(self) -> bool:
        return (bool(self.config.max_concurrent_requests) and self.in_flight >= self.limit
                and self.queued >= self.config.max_queued_requests)

    def refuse_if_full(self, transport: str) -> None:
        """Refuse at once if no place is free and none may wait: servers ask before they read
        a request, so that under overload a refusal costs neither the read nor the inflating."""
        if self._full() or self._hopeless():
            self._refuse_saturated(transport)
            raise exhausted("receiver busy: too many requests waiting", self.retry_after())

    def _hopeless(self) -> bool:
        """No place is free and more calls wait than drain within queue_timeout: this one would
        only wait out the timeout for its refusal. Judged only on a rate measured under load
        (a window of about a second), never on one left from an idle spell."""
        if not self.shed_hopeless or not self.config.max_concurrent_requests or self.in_flight < self.limit:
            return False
        return self._rate > 0 and self._window_length < 2.0 and (self.queued + 1) / self._rate > self.config.queue_timeout

    def _refuse_saturated(self, transport: str) -> None:
        self.saturated_refusals += 1
        self._on_refusal("concurrency", transport)

    @contextlib.asynccontextmanager
    async def slot(self, transport: str, wait: float | None = None):
        """A place in the pipelines, waited for at most `queue_timeout` (or `wait`: what is left
        of it for a call that has already waited in the gRPC edge process)."""
        if not self.config.max_concurrent_requests:
            yield
            return
        waiter = self._take_or_queue(transport)
        if waiter is not None:
            # the place is ours (counted) once it returns
            await self._wait_for_place(waiter, transport, self.config.queue_timeout if wait is None else wait)
        try:
            yield
        finally:
            with self._slots_lock:
                self.in_flight -= 1
                self._done()
            self._wake()

    def _take_or_queue(self, transport: str) -> asyncio.Future | None:
        """Take a free place (None), or queue a waiter on this loop; refuse if neither may be."""
        with self._slots_lock:
            if self.in_flight < self.limit:
                self.in_flight += 1
                return None
        self.refuse_if_full(transport)
        waiter = asyncio.get_running_loop().create_future()
        with self._slots_lock:
            self._waiters.append(waiter)
            self.queued += 1
        self._wake()  # a place may have been freed since the check above
        return waiter

    async def _wait_for_place(self, waiter: asyncio.Future, transport: str, timeout: float) -> None:
        """Until a place is handed to `waiter` (it is then ours), or refused after `timeout`. A
        caller cancelled while waiting (its client gone, its deadline passed) gives back a place
        handed to it meanwhile: one leaked per such race filled every place in a long run."""
        try:
            await asyncio.wait_for(asyncio.shield(waiter), max(0.0, timeout))
        except BaseException as exc:
            with self._slots_lock:
                handed = waiter.done() and not waiter.cancelled()
                if not handed:
                    waiter.cancel()  # under the lock: a hand-over in flight sees it and gives the place back
            if not isinstance(exc, asyncio.TimeoutError):
                if handed:
                    self._give_back()
                raise
            if handed:
                return  # handed a place just as the wait ended
            self._refuse_saturated(transport)
            raise exhausted("receiver busy: the pipelines are saturated", self.retry_after()) from None
        finally:
            with self._slots_lock:
                self.queued -= 1
                if waiter in self._waiters:
                    self._waiters.remove(waiter)

    def set_limit(self, limit: int) -> None:
        """Take a concurrency limit decided elsewhere (the edge process mirrors the main
        process's adaptive limit) and hand freed places to waiters."""
        self.limit = max(1, limit)
        self._wake()

    def _wake(self) -> None:
        """Hand free places to waiters, in arrival order, whichever loop each waits on."""
        while True:
            with self._slots_lock:
                if not self._waiters or self.in_flight >= self.limit:
                    return
                waiter = self._waiters.popleft()
                if waiter.done():
                    continue
                self.in_flight += 1  # handed over: the woken request owns this place
            loop = waiter.get_loop()
            if _running_loop() is loop:
                self._hand_over(waiter)
            elif not loop.is_closed():
                loop.call_soon_threadsafe(self._hand_over, waiter)
            else:
                self._give_back()

    def _hand_over(self, waiter: asyncio.Future) -> None:
        """On the waiter's loop: give it its place, or give the place back if it gave up."""
        with self._slots_lock:
            if not waiter.done():
                waiter.set_result(None)
                return
        self._give_back()

    def _give_back(self) -> None:
        with self._slots_lock:
            self.in_flight -= 1
        self._wake()

    # -- the event loop's own lag ----------------------------------------------------
    async def watch_loop(self) -> None:
        """Adapt the concurrency limit to the lag of the loop this runs on, the pipelines' (AIMD):
        admitted work that keeps that loop busy only queues behind itself, so the limit shrinks
        while the loop lags more than LAG_TARGET and grows back while it keeps up. A place a
        raised limit frees goes to a waiter on whichever loop it waits (`_wake`)."""
        loop = asyncio.get_running_loop()
        while True:
            before = loop.time()
            await asyncio.sleep(LAG_TICK)
            lag = loop.time() - before - LAG_TICK
            top = self.config.max_concurrent_requests
            if lag > LAG_TARGET:
                self.limit = max(MIN_LIMIT, int(self.limit * 0.8))
            elif lag < LAG_TARGET / 2 and self.limit < top:
                self.limit += 1
                self._wake()

    async def yield_while_refusing(self) -> None:
        """Run on the pipeline loop: while calls are being refused for want of a slot, sleep
        YIELD_SECONDS (holding the loop, releasing the interpreter lock) after every YIELD_TICK.

        Why: the edge thread and the pipelines share one interpreter lock, which CPython splits
        about evenly between two busy threads; under 10x overload the edge then falls behind
        (every refusal costs it ~0.4 ms of grpc.aio work) and calls queue in gRPC core until
        their deadline. Refusals are cheap and must be prompt; admitted work can wait a little:
        this hands the edge most of the lock while, and only while, the pipelines are saturated.
        Measured in tests/fuzz/README.md (10x overload)."""
        seen = self.saturated_refusals
        while True:
            await asyncio.sleep(YIELD_TICK)
            if self.saturated_refusals != seen:
                seen = self.saturated_refusals
                time.sleep(YIELD_SECONDS)

    def _done(self) -> None:
        now = time.monotonic()
        self._window_done += 1
        elapsed = now - self._window_start
        if elapsed >= 1.0:
            rate = self._window_done / elapsed
            self._rate = rate if not self._rate else 0.5 * self._rate + 0.5 * rate
            self._window_start, self._window_done, self._window_length = now, 0, elapsed

    def retry_after(self) -> float:
        """How long the work ahead takes to drain at the measured rate, within [1 s, 30 s]."""
        if self._rate <= 0:
            return MIN_RETRY
        ahead = self.in_flight + self.queued + 1
        return min(MAX_RETRY, max(MIN_RETRY, ahead / self._rate))


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


class Ticket:
    """The bytes one request holds; released once it is answered."""

    __slots__ = ("admission", "held", "transport")

    def __init__(self, admission: Admission, transport: str):
        self.admission = admission
        self.transport = transport
        self.held = 0

    def charge(self, n: int) -> None:
        """Hold `n` more bytes, or raise the refusal (nothing more is held then)."""
        if n:
            self.admission._charge(n, self.held + n, self.transport)
            self.held += n

    def charge_decoded(self, decompressed: int) -> None:
        self.charge(DECODED_FACTOR * decompressed)

    def release(self) -> None:
        self.admission._uncharge(self.held)
        self.held = 0
