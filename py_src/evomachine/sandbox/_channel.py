"""One sandbox child process and the pipes to it: start, send a frame, receive a reply, kill.

Every failure to get a well-formed reply in time kills the child and raises
:class:`~.errors.BoundaryError`; the owner then starts a new channel. Waiting first
blocks in ``poll`` for up to ``sync_wait`` seconds (an answer in microseconds costs no
event-loop round trip), then waits on the running asyncio loop, or keeps blocking
when the coroutine is driven without one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import os
import time
import weakref
from dataclasses import dataclass
from typing import Any

from ._wire import HEADER, WireError, decode_reply, frame_length
from .errors import BoundaryError

BOOT = (
    "import sys,types,json\n"
    "c=json.loads(sys.argv[1])\n"
    "sys.path[:0]=c['path']\n"
    "p=types.ModuleType('evomachine');p.__path__=[c['package']];sys.modules['evomachine']=p\n"
    "from evomachine.sandbox._child import main\n"
    "main(c)\n"
)
PASSED_ENV = ("LD_LIBRARY_PATH",)  # what a shared-library Python may need; nothing else


@dataclass(frozen=True)
class ProcessLimits:
    """Resource limits the child sets on itself before it loads any generated code."""

    memory_bytes: int = 512 * 2**20
    """``RLIMIT_AS``: a larger allocation fails with MemoryError (the child then retires)."""
    cpu_seconds: int = 30
    """``RLIMIT_CPU`` headroom, re-armed as calls run: bounds a child whose host died."""
    open_files: int = 32
    """``RLIMIT_NOFILE``."""

    def rlimits(self) -> dict[str, int]:
        return {"RLIMIT_AS": self.memory_bytes, "RLIMIT_CPU": self.cpu_seconds,
                "RLIMIT_NOFILE": self.open_files, "RLIMIT_FSIZE": 0, "RLIMIT_CORE": 0,
                "RLIMIT_NPROC": 0}


class Channel:
    """A started child process; ``dead`` once killed (it is never restarted)."""

    def __init__(self, proc: Any, max_reply: int, sync_wait: float) -> None:
        import select

        self.proc = proc
        self.max_reply = max_reply
        self.sync_wait = sync_wait
        self.dead = False
        self.exit: tuple[str, int | None] | None = None
        self.peak_rss_kb: int | None = None
        self.stderr = ""
        self._rfd, self._wfd = proc.stdout.fileno(), proc.stdin.fileno()
        os.set_blocking(self._rfd, False)
        self._poll = select.poll()
        self._poll.register(self._rfd, select.POLLIN)
        self._buf = bytearray()
        self._reaper = weakref.finalize(self, _reap, proc)

    @classmethod
    async def start(cls, python: str, limits: ProcessLimits, max_reply: int, sync_wait: float,
                    timeout: float) -> Channel:
        """Spawn ``python -I -S`` running :mod:`._child` and wait for its greeting."""
        import subprocess

        import RestrictedPython

        config = {
            "path": [os.path.dirname(os.path.dirname(os.path.abspath(RestrictedPython.__file__)))],
            "package": os.path.dirname(os.path.dirname(os.path.abspath(__file__))),
            "limits": limits.rlimits(),
            "max_reply": max_reply,
        }
        env = {name: os.environ[name] for name in PASSED_ENV if name in os.environ}
        try:
            proc = subprocess.Popen(
                [python, "-I", "-S", "-c", BOOT, json.dumps(config)],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env, cwd="/", close_fds=True, start_new_session=True, bufsize=0)
        except OSError as exc:
            raise BoundaryError(f"cannot start the sandbox process: {exc}", cause="start") from None
        channel = cls(proc, max_reply, sync_wait)
        try:
            hello = await channel.receive(timeout)
        except BoundaryError as exc:
            detail = channel.stderr or exc.reason
            raise BoundaryError(f"the sandbox process did not start: {detail}",
                                cause="start") from None
        except BaseException:  # cancelled while starting: no half-started child is left
            channel.kill("interrupted")
            raise
        proc.stderr.close()  # the child pointed its fd 2 at /dev/null before greeting
        if hello != {"r": "ready"}:
            raise channel.fail("start", "the sandbox process sent a bad greeting")
        return channel

    @property
    def pid(self) -> int:
        return int(self.proc.pid)

    def current_peak_rss_kb(self) -> int | None:
        return self.peak_rss_kb if self.dead else _peak_kb(self.pid)

    def send(self, data: bytes) -> bool:
        """Write one whole frame; False if the child is gone (nothing was delivered)."""
        view = memoryview(data)
        try:
            while view:
                view = view[os.write(self._wfd, view):]
        except OSError:
            return False
        return True

    def has_frame(self) -> bool:
        """Whether a whole reply is already read and waiting in the buffer."""
        buf = self._buf
        return len(buf) >= HEADER and len(buf) >= HEADER + int.from_bytes(buf[:HEADER], "big")

    async def receive(self, timeout: float) -> dict[str, Any]:
        """One reply, or a BoundaryError once the child is killed (deadline, crash, bad frame)."""
        deadline = time.monotonic() + timeout
        buf, need, size = self._buf, HEADER, -1
        try:
            while True:
                if size < 0 and len(buf) >= HEADER:
                    size = frame_length(buf, self.max_reply)
                    need = HEADER + size
                if size >= 0 and len(buf) >= need:
                    body = bytes(buf[HEADER:need])
                    del buf[:need]
                    break
                if not await self._readable(deadline):
                    raise self.fail("deadline", f"no answer within {timeout:g} s: "
                                    "the sandbox process was killed")
                try:
                    chunk = os.read(self._rfd, max(1 << 16, need - len(buf)))
                except BlockingIOError:
                    continue
                except OSError:
                    chunk = b""
                if not chunk:
                    code = self.proc.wait()
                    raise self.fail("crashed", f"the sandbox process died (exit {code})")
                buf += chunk
            reply = decode_reply(body)
        except WireError as exc:
            raise self.fail("protocol", f"malformed reply ({exc})") from None
        if "x" in reply:
            self.kill("retired")
        return reply

    async def _readable(self, deadline: float) -> bool:
        spin = min(self.sync_wait, deadline - time.monotonic())
        if self._poll.poll(math.ceil(spin * 1000) if spin > 0 else 0):
            return True
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # driven without an event loop (aio.drive): block instead
            return bool(self._poll.poll(math.ceil(remaining * 1000)))
        ready = loop.create_future()

        def wake() -> None:
            if not ready.done():
                ready.set_result(True)

        try:
            loop.add_reader(self._rfd, wake)
        except NotImplementedError:  # a loop without add_reader: block instead
            return bool(self._poll.poll(math.ceil(remaining * 1000)))
        try:
            return await asyncio.wait_for(ready, remaining)
        except TimeoutError:
            return False
        finally:
            loop.remove_reader(self._rfd)

    def fail(self, cause: str, reason: str) -> BoundaryError:
        self.kill(cause)
        return BoundaryError(reason, cause=cause)

    def kill(self, cause: str) -> None:
        """Kill and reap the child (once); keep why, its exit code and its peak memory."""
        if self.dead:
            return
        self.dead = True
        self.peak_rss_kb = _peak_kb(self.pid)
        self.stderr = _reap(self.proc)
        self._reaper.detach()
        self.exit = (cause, self.proc.returncode)


def _reap(proc: Any) -> str:
    """Kill and wait for ``proc``, close its pipes; return the last line of its stderr, if open."""
    with contextlib.suppress(OSError):
        proc.kill()
    proc.wait()
    tail = ""
    if proc.stderr is not None and not proc.stderr.closed:
        with contextlib.suppress(OSError, ValueError):
            text = proc.stderr.read(8192).decode("utf-8", "replace").strip()
            tail = text.splitlines()[-1][:300] if text else ""
    for stream in (proc.stdin, proc.stdout, proc.stderr):
        if stream is not None:
            with contextlib.suppress(OSError):
                stream.close()
    return tail


def _peak_kb(pid: int) -> int | None:
    """VmHWM (peak resident set) of ``pid`` from /proc, if readable."""
    try:
        with open(f"/proc/{pid}/status", "rb") as status:
            for line in status:
                if line.startswith(b"VmHWM:"):
                    return int(line.split()[1])
    except (OSError, ValueError, IndexError):
        return None
    return None
