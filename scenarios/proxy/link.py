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
from typing import TYPE_CHECKING, Any

from scenarios.proxy.stream import EOF, Channel, Chunk, Item, Outlet
from scenarios.proxy.toxic_set import ToxicEntry
from scenarios.proxy.toxics.base import Stub, Toxic
from scenarios.proxy.toxics.noop import NoopToxic

if TYPE_CHECKING:
    from scenarios.proxy.connection import Side

#: pause reading the source once this many bytes wait inside the pipeline
HIGH_WATER = 256 * 1024
LOW_WATER = 64 * 1024


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

    # live toxic changes ------------------------------------------------------------
    def add(self, entry: ToxicEntry) -> None:
        channel = Channel(self.on_size)
        stage = Stage(entry, channel, self.sink, self.rng)
        if self.stages:
            self.stages[-1].set_output(channel)
        else:
            self.entry = channel
        self.stages.append(stage)
        self._update_fast_path()
        stage.start()

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
        self._update_fast_path()

    def stop(self) -> None:
        """Cancel every toxic task (the connection is gone)."""
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
