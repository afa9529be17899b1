"""The exact number of data rows of a live run's inputs, counted ahead in a background thread.

A live import is paced by the rate budget, so the reader is far faster than the run: reading
the files once more, with the same readers (``Source.count_chunks``), gives the exact count of
the rows the run will read (quoted line breaks, blank lines and repeated header rows are
handled as the run handles them; workbooks too) long before the first tenth of the run. The
ETA (:mod:`foxreach_cli.eta`) then knows the total instead of a line-count estimate. Only one
chunk is held at a time. A dry run reads everything anyway and keeps the quick estimate
(``read.estimate_data_rows``): counting would double its work.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from .read import Source


class RowCounter:
    """Counts the data rows of ``sources`` (at most ``limit``) in a daemon thread.

    :attr:`total` is None until the count is done, and stays None when a file cannot be
    read to the end (the run itself then says why). :meth:`close` stops the thread.
    """

    def __init__(self, sources: Sequence[Source], limit: int | None = None) -> None:
        self._sources = list(sources)
        self._limit = limit
        self._stop = threading.Event()
        self.total: int | None = None
        self._thread = threading.Thread(target=self._count, name="foxreach-count", daemon=True)

    def start(self) -> RowCounter:
        """Start counting; returns self."""
        self._thread.start()
        return self

    def _count(self) -> None:
        rows = 0
        try:
            for source in self._sources:
                chunks = source.count_chunks()
                try:
                    for chunk in chunks:
                        if self._stop.is_set():
                            return
                        rows += len(chunk.frame)
                        if self._limit is not None and rows >= self._limit:
                            self.total = self._limit
                            return
                finally:
                    chunks.close()
        except Exception:  # the run's own read says what is wrong with the file
            return
        self.total = rows

    def close(self) -> None:
        """Stop counting (at the next chunk) and wait for the thread."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=10)

    def __enter__(self) -> RowCounter:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
