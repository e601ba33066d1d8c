"""Fair turns at SQLite's one write lock, taken in order of arrival and without sleeping.

SQLite lets one transaction write at a time. A ``BEGIN IMMEDIATE`` that finds the lock taken
calls the busy handler, which sleeps with a growing back-off (up to 100 ms a try) and wins only
when the lock happens to be free as it wakes: under steady load a waiter loses to newcomers for
seconds (decision 0039). A writer that first takes its turn here queues behind the threads of
its process that came before it, then blocks on an exclusive lock on a file beside the
database, shared by every process that writes to it, and is woken the moment it is released;
so it reaches ``BEGIN IMMEDIATE`` when the lock is free and the busy handler is rarely called.
"""

import fcntl
import os
import threading
import time
from collections import deque
from pathlib import Path


class Turn:
    """One writer's turn, held until ``release``."""

    def __init__(self, turns: "WriteTurns", descriptor: int | None) -> None:
        self._turns = turns
        self._descriptor = descriptor

    def release(self) -> None:
        """The file first, so a waiting process can start while this one hands over."""
        if self._descriptor is not None:
            os.close(self._descriptor)  # closing the file drops its lock
            self._descriptor = None
        self._turns._leave()


class WriteTurns:
    """Turns at the write lock of one database: first come, first served.

    ``lock_path`` is the file the processes lock (None for a database only this process can
    open, such as an in-memory one); ``timeout`` bounds the whole wait in seconds.
    """

    def __init__(self, lock_path: Path | None, timeout: float) -> None:
        self.lock_path = lock_path
        self.timeout = timeout
        self._mutex = threading.Lock()
        self._waiting: deque[threading.Event] = deque()
        self._taken = False

    def take(self) -> Turn | None:
        """This thread's turn, or None when it did not come within the timeout."""
        deadline = time.monotonic() + self.timeout
        if not self._enter(deadline):
            return None
        if self.lock_path is None:
            return Turn(self, None)
        try:
            descriptor = _lock_file(self.lock_path, deadline)
        except BaseException:
            self._leave()
            raise
        if descriptor is None:
            self._leave()
            return None
        return Turn(self, descriptor)

    def _enter(self, deadline: float) -> bool:
        """Wait behind the threads of this process that asked before; the turn is handed over
        by the thread that had it, so none can overtake another."""
        with self._mutex:
            if not self._taken:
                self._taken = True
                return True
            mine = threading.Event()
            self._waiting.append(mine)
        if mine.wait(max(0.0, deadline - time.monotonic())):
            return True
        with self._mutex:
            if mine.is_set():  # handed over just as the wait ran out
                return True
            self._waiting.remove(mine)
            return False

    def _leave(self) -> None:
        with self._mutex:
            if self._waiting:
                self._waiting.popleft().set()
            else:
                self._taken = False


def _lock_file(path: Path, deadline: float) -> int | None:
    """A descriptor of ``path`` holding its exclusive lock, or None past the deadline.

    Each turn opens the file anew: ``flock`` belongs to the open file, so a wait given up
    (which goes on in a thread of its own and lets go as soon as it gets the lock) can never
    release a later turn's lock.
    """
    descriptor = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
    try:
        fcntl.flock(descriptor, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return descriptor
    except BlockingIOError:
        pass
    except BaseException:
        os.close(descriptor)
        raise
    # Blocking flock cannot time out, so it waits in a thread while this one waits on it.
    guard = threading.Lock()
    done = threading.Event()
    outcome: list[bool] = []  # [True] locked, [False] failed, [] still waiting or given up

    def wait() -> None:
        try:
            fcntl.flock(descriptor, fcntl.LOCK_EX)
            got = True
        except OSError:
            got = False
        with guard:
            if done.is_set() or not got:
                os.close(descriptor)
            outcome.append(got)
            done.set()

    threading.Thread(target=wait, name="sqlite-write-turn", daemon=True).start()
    done.wait(max(0.0, deadline - time.monotonic()))
    with guard:
        if outcome:
            return descriptor if outcome[0] else None
        done.set()  # given up: the thread lets go as soon as it gets the lock
    return None
