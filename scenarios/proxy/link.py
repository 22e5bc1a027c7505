"""One direction of one proxied connection: a fast path, or a pipeline of toxics.

Toxiproxy runs each direction of a connection as a chain of toxic stubs. With no toxic
on a stream, bytes are written straight to the destination socket (no queue, no task);
as soon as a toxic exists, data flows through one task per toxic joined by channels.
Adding, updating or removing a toxic rewires the chain in place, on live connections,
without losing or reordering bytes.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import sys
from typing import TYPE_CHECKING, Any

from scenarios.proxy.splice import SplicePump
from scenarios.proxy.stream import EOF, Channel, Chunk, Item, Outlet
from scenarios.proxy.toxic_set import ToxicEntry
from scenarios.proxy.toxics.base import Stub, Toxic
from scenarios.proxy.toxics.noop import NoopToxic

if TYPE_CHECKING:
    from scenarios.proxy.connection import Side

#: pause reading the source once this many bytes wait inside the pipeline
HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024
NEVER = sys.maxsize
#: a bulk direction whose destination still had queued bytes tries again this much later
RETRY_SPLICE_AFTER = 64 * 1024


class Sink:
    """The end of a link: writes to the destination socket, closes or resets it."""

    __slots__ = ("dest",)

    def __init__(self, dest: Side) -> None:
        self.dest = dest

    def put(self, item: Item) -> None:
        if isinstance(item, Chunk):
            self.dest.write(item.data)
        elif item.reset:
            self.dest.conn.reset()
        else:
            self.dest.close()


class Stage:
    """One toxic running on one link; toxicity is rolled each time it (re)starts."""

    def __init__(self, entry: ToxicEntry, input: Channel, output: Outlet, rng: random.Random):
        self.entry = entry
        self.input = input
        self.output = output
        self.rng = rng
        self.state: Any = entry.toxic.new_state()
        self.running: Toxic = entry.toxic
        self.stub = Stub(input, output, rng, self.state)
        self.task: asyncio.Task[None] | None = None

    def start(self) -> None:
        active = self.rng.random() < self.entry.toxicity
        self.running = self.entry.toxic if active else NoopToxic()
        self.stub = Stub(self.input, self.output, self.rng, self.state)
        self.task = asyncio.get_running_loop().create_task(self._run(self.running, self.stub))

    @staticmethod
    async def _run(toxic: Toxic, stub: Stub) -> None:
        with contextlib.suppress(asyncio.CancelledError):
            await toxic.pipe(stub)

    def set_output(self, output: Outlet) -> None:
        self.output = output
        self.stub.output = output

    def interrupt(self) -> Chunk | None:
        """Stop the toxic now; return the part of a chunk it was still holding."""
        if self.task is not None:
            self.task.cancel()
        held, self.stub.held = self.stub.held, None
        return held


class Link:
    """Bytes from ``source`` to ``dest`` through the toxics of one stream direction."""

    def __init__(self, stream: str, source: Side, dest: Side, rng: random.Random) -> None:
        self.stream = stream
        self.source = source
        self.dest = dest
        self.rng = rng
        self.sink = Sink(dest)
        self.entry: Outlet = self.sink
        self.stages: list[Stage] = []
        self.buffered = 0
        self.dest_paused = False
        self.source_paused = False
        self.ended = False
        self.pump: SplicePump | None = None
        self._loop = asyncio.get_running_loop()
        self._update_fast_path()

    # data from the source socket -------------------------------------------------
    def feed(self, data: bytes) -> None:
        self.entry.put(Chunk(data, self._loop.time()))

    def feed_end(self) -> None:
        """The source side closed: the close travels through the toxics like data."""
        if not self.ended:
            self.ended = True
            self.entry.put(EOF)

    # backpressure ------------------------------------------------------------------
    def on_size(self, delta: int) -> None:
        self.buffered += delta
        self._flow()

    def set_dest_paused(self, paused: bool) -> None:
        self.dest_paused = paused
        self._flow()

    def _flow(self) -> None:
        if self.source_paused:
            if not self.dest_paused and self.buffered <= LOW_WATER:
                self.source_paused = False
                self.source.resume_reading()
        elif self.dest_paused or self.buffered > HIGH_WATER:
            self.source_paused = True
            self.source.pause_reading()

    # zero-copy path ----------------------------------------------------------------
    def try_splice(self) -> None:
        """Start splicing this direction if it has no toxic and nothing is queued."""
        src, dst = self.source, self.dest
        src.until_splice = NEVER
        if self.pump is not None or self.stages or src.lost or dst.lost:
            return
        st, dt = src.transport, dst.transport
        if st is None or dt is None or st.is_closing() or dt.is_closing():
            return
        if dt.get_write_buffer_size() > 0:
            src.until_splice = RETRY_SPLICE_AFTER  # earlier bytes must reach the socket first
            return
        ssock, dsock = st.get_extra_info("socket"), dt.get_extra_info("socket")
        if ssock is None or dsock is None:
            return
        try:
            self.pump = SplicePump(self, ssock.fileno(), dsock.fileno())
        except OSError:
            return
        src.direct = None
        st.pause_reading()  # the pump reads this socket from now on

    def stop_splice(self, resume: bool = True) -> bytes:
        """Stop splicing; returns bytes read but not yet written (empty when not spliced).
        With ``resume`` the source transport reads again (unless backpressure holds it)."""
        pump, self.pump = self.pump, None
        if pump is None:
            return b""
        left = pump.stop()
        src = self.source
        transport = src.transport
        if resume and transport is not None and not src.lost and not transport.is_closing():
            if not src.reading_paused:
                transport.resume_reading()
            src.until_splice = src.conn.splice_after or NEVER
        return left

    def splice_eof(self) -> None:
        """The source peer closed while spliced: as ``eof_received``, the connection ends
        (the pipe is empty: the pump reads again only once it has drained)."""
        left = self.stop_splice(resume=False)
        if left:
            self.sink.put(Chunk(left, self._loop.time()))
        if self.source.transport is not None:
            self.source.transport.close()

    def splice_failed(self, exc: OSError, source: bool) -> None:
        """A reset or broken pipe while spliced: drop the socket that failed."""
        self.stop_splice(resume=False)
        side = self.source if source else self.dest
        if side.transport is not None:
            side.transport.abort()

    # live toxic changes ------------------------------------------------------------
    def add(self, entry: ToxicEntry) -> None:
        left = self.stop_splice()  # the toxic applies from the next byte on
        channel = Channel(self.on_size)
        stage = Stage(entry, channel, self.sink, self.rng)
        if self.stages:
            self.stages[-1].set_output(channel)
        else:
            self.entry = channel
        self.stages.append(stage)
        self.source.until_splice = NEVER
        self._update_fast_path()
        stage.start()
        if left:
            channel.put(Chunk(left, self._loop.time()))

    def update(self, entry: ToxicEntry) -> None:
        stage = self._stage(entry.name)
        if stage is None or stage.stub.closed:
            return
        held = stage.interrupt()
        if held is not None:
            stage.input.push_front([held])
        stage.entry = entry
        stage.start()

    def remove(self, name: str) -> None:
        stage = self._stage(name)
        if stage is None:
            return
        index = self.stages.index(stage)
        held = stage.interrupt()
        queued = stage.input.drain()
        out = stage.output
        if not stage.stub.closed and not stage.running.on_remove(stage.stub):
            if held is not None:
                out.put(held)
            for item in queued:
                out.put(item)
        del self.stages[index]
        if index > 0:
            self.stages[index - 1].set_output(out)
        else:
            self.entry = out
        if not self.stages:
            self.source.until_splice = self.source.conn.splice_after or NEVER
        self._update_fast_path()

    def stop(self) -> None:
        """Cancel every toxic task and the pump (the connection is gone)."""
        self.stop_splice(resume=False)
        for stage in self.stages:
            stage.interrupt()

    def _stage(self, name: str) -> Stage | None:
        return next((s for s in self.stages if s.entry.name == name), None)

    def _update_fast_path(self) -> None:
        transport = self.dest.transport
        fast = not self.stages and not self.dest.lost
        if transport is None or transport.is_closing():
            fast = False
        self.source.direct = transport if fast else None
