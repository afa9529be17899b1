"""The files a finished run writes besides the journal: ``--report`` and ``--rejected`` (with
the mapping its rows were judged with beside it)."""

from __future__ import annotations

from functools import partial

from .errors import StorageError
from .import_config import ImportConfig
from .input_files import PreparedFile
from .outputs import write_rejected_csv, write_report
from .read import read_rows
from .rejected_file import write_rejected_mapping
from .report import ImportReport


def write_outputs(
    cfg: ImportConfig, report: ImportReport, files: list[PreparedFile]
) -> list[StorageError]:
    """Write the ``--report`` and ``--rejected`` files; return the ones that failed (each is
    tried whatever became of the other: a full disk may be another's)."""
    out = cfg.outputs
    failed: list[StorageError] = []
    if out.report_path:
        try:
            write_report(out.report_path, report)
        except StorageError as exc:
            failed.append(exc)
    if out.rejected_path:
        try:
            write_rejected_csv(
                out.rejected_path,
                report,
                [(f.name, f.source.info.headers, partial(read_rows, f.source)) for f in files],
            )
            rejected = report.details.files()
            write_rejected_mapping(
                out.rejected_path,
                [(f.source.info, f.mapping) for f in files if f.name in rejected],
            )
        except StorageError as exc:
            failed.append(exc)
    return failed
