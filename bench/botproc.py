"""A bot in a process of its own, so that a benchmark measures the bot and nothing else.

The benchmark's own process (the driver) holds the Bot API double and the phones; the bot runs
in a child (``python -m MODULE --serve CONFIG``), so the double's work (JSON, HTML parsing,
aiohttp) neither competes with the bot for its event loop nor counts as the bot's CPU.

The two talk over the child's stdin and stdout, one line each way:

- the child prints one JSON object when it is ready (``{"ready": true, ...}``), then reads
  commands from stdin (:func:`commands`) and answers each with one JSON line (:func:`say`);
- the driver (:func:`bot_process`) sends a command and reads the answer
  (:meth:`BotProcess.command`); closing the child's stdin tells it to stop.

The child's stderr is the driver's, so its logs and tracebacks show.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import socket
import sys
import tempfile
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

# ------------------------------------------------------------------------- the child's side


def say(payload: dict[str, Any]) -> None:
    """Answer the driver: one JSON line on stdout."""
    print(json.dumps(payload), flush=True)


async def commands() -> AsyncIterator[str]:
    """The driver's commands, one per stdin line, until "stop" or the end of stdin."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[str] = asyncio.Queue()

    def read_stdin() -> None:
        for line in sys.stdin:
            loop.call_soon_threadsafe(queue.put_nowait, line.strip())
        loop.call_soon_threadsafe(queue.put_nowait, "stop")

    threading.Thread(target=read_stdin, name="commands", daemon=True).start()
    while (command := await queue.get()) != "stop":
        yield command


# ------------------------------------------------------------------------- the driver's side


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class BotProcess:
    """A running child: what it said when ready, and a way to send it commands."""

    def __init__(self, process: asyncio.subprocess.Process, ready: dict[str, Any]) -> None:
        self.process = process
        self.ready = ready

    @property
    def pid(self) -> int:
        return self.process.pid

    async def command(self, command: str, timeout: float = 60) -> dict[str, Any]:  # noqa: ASYNC109
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.write(f"{command}\n".encode())
        await self.process.stdin.drain()
        line = await asyncio.wait_for(self.process.stdout.readline(), timeout)
        if not line:
            raise RuntimeError("the bot process ended early (see its stderr above)")
        return dict(json.loads(line))


@contextlib.asynccontextmanager
async def bot_process(
    module: str,
    config: dict[str, Any],
    *,
    env: dict[str, str] | None = None,
    check: bool = False,
    timeout: float = 60,  # noqa: ASYNC109
) -> AsyncIterator[BotProcess]:
    """Run ``python -m MODULE --serve CONFIG`` (``config`` as a JSON file) until the block
    ends, then close its stdin and wait for it to stop (killing it after ``timeout`` s).
    ``check``: raise if it exits with an error (such as a handler's exception)."""
    with tempfile.TemporaryDirectory(prefix="crm-bench-") as tmp:
        path = Path(tmp) / "config.json"
        path.write_text(json.dumps(config))
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            module,
            "--serve",
            str(path),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env={**os.environ, **(env or {})},
        )
        failed = False
        try:
            assert process.stdout is not None
            line = await asyncio.wait_for(process.stdout.readline(), timeout)
            if not line:
                raise RuntimeError(f"{module} did not start (see its stderr above)")
            yield BotProcess(process, dict(json.loads(line)))
        except BaseException:
            failed = True
            raise
        finally:
            if process.returncode is None:
                assert process.stdin is not None
                process.stdin.close()  # the end of the commands: the bot stops cleanly
                try:
                    await asyncio.wait_for(process.wait(), timeout)
                except TimeoutError:
                    process.send_signal(signal.SIGKILL)
                    await process.wait()
        if check and not failed and process.returncode:
            raise RuntimeError(f"{module} exited with {process.returncode} (see its stderr)")
