"""The copy's progress on the terminal: one rich progress bar per step, on stderr."""

from __future__ import annotations

from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text


class RateColumn(ProgressColumn):
    """Records per second of a step, as rich measures it."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} records/s", style="progress.data.speed")


class ProgressBars:
    """A ``Reporter`` drawing a bar per step (``users``, ``verify users``, ...).

    Use it as a context manager: the bars are drawn between enter and exit.
    Only on a terminal: in a log file they would be a screenful of noise
    (the command's last lines say what was done).
    """

    def __init__(self, console: Console) -> None:
        self._progress = Progress(
            TextColumn("{task.description:<18}"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            console=console,
            disable=not console.is_terminal,
        )
        self._tasks: dict[str, TaskID] = {}

    def __enter__(self) -> ProgressBars:
        self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._progress.stop()

    def start(self, label: str, total: int, done: int) -> None:
        self._tasks[label] = self._progress.add_task(label, total=total, completed=done)

    def advance(self, label: str, records: int) -> None:
        self._progress.advance(self._tasks[label], records)
