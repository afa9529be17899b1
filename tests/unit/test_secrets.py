"""Secrets and safety: the API key never leaves in clear, plain http only to loopback, formula
cells neutralised, state files owner-only.

The key is a recognisable sentinel. Every command and failure path runs with it, given by flag,
by ``FOXREACH_API_KEY``, by ``--env-file`` and by a ``.env`` in the working directory; then the
sentinel must appear in no output, no log line, no report, no rejected file and no byte of any
file the tool wrote (the state directory's SQLite journal and its -wal/-shm included). Only the
masked form (``otr_…9a2c``) may be shown.
"""

from __future__ import annotations

import csv
import json
import os
import socket
import stat
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner, Result

from foxreach_cli.cli import app

SENTINEL = "otr_SECRETSENTINEL_4f9a2c"
NON_OTR_SENTINEL = "sk_SECRETSENTINEL_77e1d0"
MARK = b"SECRETSENTINEL"  # the part of both keys the masked forms never show
MASKED = "otr_…9a2c"
FAST = ["--rate-limit", "1000", "--rate-window", "1"]
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
KEY_SOURCES = ("flag", "env", "env_file", "dotenv_in_cwd")

runner = CliRunner()


# --------------------------------------------------------------------------------------------
# helpers
# --------------------------------------------------------------------------------------------


def write_leads(path: Path, n: int, *, bad: int = 2) -> Path:
    """``n`` leads, the first ``bad`` of them with an invalid email (so --rejected has rows)."""
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Email", "First Name", "Company"])
        for i in range(n):
            w.writerow([f"broken{i}@" if i < bad else f"lead{i}@example.com", f"N{i}", "Acme"])
    return path


class KeyGiver:
    """Gives the API key to a command in one of :data:`KEY_SOURCES` ways."""

    def __init__(self, source: str, key: str, workdir: Path) -> None:
        self.source = source
        self.key = key
        self.workdir = workdir
        self.env_file = workdir / "secrets.env"
        if source == "env_file":
            self.env_file.write_text(f"FOXREACH_API_KEY={key}\n", encoding="utf-8")
        if source == "dotenv_in_cwd":
            (workdir / ".env").write_text(f"FOXREACH_API_KEY={key}\n", encoding="utf-8")

    def args(self) -> list[str]:
        """Options that carry the key (for ``import`` and ``config show``)."""
        if self.source == "flag":
            return ["--api-key", self.key]
        if self.source == "env_file":
            return ["--env-file", str(self.env_file)]
        return []

    def env(self) -> dict[str, str]:
        """Environment variables that carry the key."""
        return {"FOXREACH_API_KEY": self.key} if self.source == "env" else {}

    def invoke(self, *args: str) -> Result:
        """Run the CLI in-process from ``workdir`` with the key given this way."""
        with chdir(self.workdir):
            return runner.invoke(app, [*args[:2], *self.args(), *args[2:]], env=self.env())

    def files_holding_the_key(self) -> set[Path]:
        """The files this giver wrote on purpose (they hold the key by design)."""
        return {self.env_file, self.workdir / ".env"}


@contextmanager
def chdir(path: Path) -> Iterator[None]:
    old = Path.cwd()
    os.chdir(path)
    try:
        yield
    finally:
        os.chdir(old)


def assert_no_key_in_result(result: Result, what: str) -> None:
    """Neither stdout, stderr nor an escaped exception shows the key."""
    for name, text in (("stdout", result.stdout), ("stderr", result.stderr)):
        assert MARK.decode() not in text, f"{what}: the key is in {name}:\n{text}"
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        assert MARK.decode() not in repr(result.exception), what
    assert "Traceback" not in result.output, f"{what}: a traceback reached the user"


def files_under(*roots: Path) -> list[Path]:
    return [p for root in roots if root.exists() for p in root.rglob("*") if p.is_file()]


def assert_no_key_in_files(roots: list[Path], allowed: set[Path]) -> int:
    """No file under ``roots`` (except ``allowed``) holds the key's bytes; returns files seen."""
    seen = 0
    for path in files_under(*roots):
        if path in allowed:
            continue
        seen += 1
        data = path.read_bytes()
        for encoded in (MARK, MARK.decode().encode("utf-16-le")):
            assert encoded not in data, f"the key is in {path}"
    return seen


def state_roots() -> list[Path]:
    """The per-test XDG directories (conftest.py), where default state and data go."""
    return [Path(os.environ["XDG_STATE_HOME"]), Path(os.environ["XDG_DATA_HOME"])]


def free_loopback_port() -> int:
    """A loopback port nobody listens on (bound then closed): connections are refused."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# --------------------------------------------------------------------------------------------
# The key never shows
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("source", KEY_SOURCES)
def test_config_show_prints_only_the_masked_key(tmp_path: Path, source: str) -> None:
    giver = KeyGiver(source, SENTINEL, tmp_path)
    result = giver.invoke("config", "show")
    assert result.exit_code == 0, result.output
    assert MASKED in result.stdout
    assert_no_key_in_result(result, "config show")


@pytest.mark.parametrize(
    "args",
    [
        ["map", "{leads}"],
        ["sandbox", "serve", "--help"],
        ["import", "--help"],
        ["--version"],
    ],
    ids=["map", "sandbox_serve_help", "import_help", "version"],
)
@pytest.mark.parametrize("source", ["env", "dotenv_in_cwd"])
def test_commands_that_need_no_key_never_print_it(tmp_path: Path, source: str, args) -> None:
    giver = KeyGiver(source, SENTINEL, tmp_path)
    leads = write_leads(tmp_path / "leads.csv", 3)
    with chdir(tmp_path):
        result = runner.invoke(app, [a.format(leads=leads) for a in args], env=giver.env())
    assert result.exit_code == 0, result.output
    assert_no_key_in_result(result, " ".join(args))


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (["--base-url", "http://api.example.com/api/v1"], SENTINEL),
        (["--base-url", "http://user:pw@127.0.0.1:9/api/v1"], SENTINEL),
        (["--base-url", "not a url at all"], SENTINEL),
        (["--batch-size", "0"], SENTINEL),
        (["--status", "bogus"], SENTINEL),
        (["--delimiter", "xx"], SENTINEL),
        (["--env-file", "missing.env"], SENTINEL),
        (["--mapping", "missing.toml"], SENTINEL),
        ([], "otr_SECRETSENTINEL 4f9a2c"),  # a space: cannot go in a header
        ([], "otr_SECRETSENTINEL_4f9a2cé"),  # not ASCII
    ],
    ids=[
        "plain_http_remote", "userinfo_in_url", "bad_url", "batch_size", "status", "delimiter",
        "missing_env_file", "missing_mapping", "key_with_space", "key_not_ascii",
    ],
)  # fmt: skip
def test_bad_usage_exits_2_without_showing_the_key(tmp_path: Path, extra, key) -> None:
    leads = write_leads(tmp_path / "leads.csv", 3)
    with chdir(tmp_path):
        result = runner.invoke(
            app,
            ["import", str(leads), "--api-key", key, "--base-url", "http://127.0.0.1:9/api/v1",
             *extra],
        )  # fmt: skip
    assert result.exit_code == 2, result.output
    assert_no_key_in_result(result, " ".join(extra) or key)


def test_a_missing_input_file_exits_2_without_showing_the_key(tmp_path: Path) -> None:
    with chdir(tmp_path):
        result = runner.invoke(app, ["import", "nope.csv", "--api-key", SENTINEL])
    assert result.exit_code == 2, result.output
    assert_no_key_in_result(result, "missing file")


@pytest.mark.httpx_mock(can_send_already_matched_responses=True)
@pytest.mark.parametrize(
    ("status", "want"),
    [(400, 5), (403, 3), (404, 5), (307, 5), (422, 1)],
    ids=["400", "403", "404", "307_redirect", "422"],
)
def test_a_server_that_echoes_the_key_back_is_scrubbed(
    httpx_mock, tmp_path: Path, status: int, want: int
) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        key = request.headers["x-api-key"]
        headers = {"location": f"https://elsewhere.example/?key={key}"} if status == 307 else {}
        return httpx.Response(status, json={"detail": f"bad request from {key}"}, headers=headers)

    httpx_mock.add_callback(echo)
    leads = write_leads(tmp_path / "leads.csv", 4, bad=0)
    rejected = tmp_path / "rejected.csv"
    result = runner.invoke(
        app, ["import", str(leads), "--base-url", "https://api.example.test/api/v1", "--api-key",
              SENTINEL, "--verbose", "--rejected", str(rejected), "--report",
              str(tmp_path / "r.json"), "--state-dir", str(tmp_path / "state"), *FAST],
    )  # fmt: skip
    assert result.exit_code == want, result.output
    assert_no_key_in_result(result, f"echo {status}")
    if status == 422:  # the server's words became the reasons of the rejected rows
        assert rejected.read_text(encoding="utf-8").count(MASKED) == 4
    assert_no_key_in_files([tmp_path, *state_roots()], allowed=set())


# --------------------------------------------------------------------------------------------
# TLS: plain http only to loopback
# --------------------------------------------------------------------------------------------


@pytest.mark.httpx_mock(assert_all_responses_were_requested=False)
@pytest.mark.parametrize(
    "url",
    [
        "http://api.foxreach.io/api/v1",
        "HTTP://API.EXAMPLE.COM/api/v1",
        "http://10.1.2.3/api/v1",
        "http://[2001:db8::1]/api/v1",
        "http://127.0.0.1.example.com/api/v1",
        "http://localhost.example.com/api/v1",
        "ftp://127.0.0.1/api/v1",
    ],
)
def test_plain_http_to_a_host_that_is_not_loopback_is_refused_before_sending(
    httpx_mock, tmp_path: Path, url: str
) -> None:
    # httpx_mock is active so that even a broken check could send nothing anywhere.
    leads = write_leads(tmp_path / "leads.csv", 3)
    result = runner.invoke(app, ["import", str(leads), "--base-url", url, "--api-key", SENTINEL])
    assert result.exit_code == 2, result.output
    assert "http" in result.output.lower()
    assert httpx_mock.get_requests() == []


@pytest.mark.httpx_mock(can_send_already_matched_responses=True)
def test_https_is_accepted(httpx_mock, tmp_path: Path) -> None:
    def ok(request: httpx.Request) -> httpx.Response:
        n = len(json.loads(request.content)["leads"])
        return httpx.Response(200, json={"data": {"created": n, "restored": 0, "duplicates": 0,
                                                  "errors": 0}})  # fmt: skip

    httpx_mock.add_callback(ok)
    leads = write_leads(tmp_path / "leads.csv", 3, bad=0)
    result = runner.invoke(
        app, ["import", str(leads), "--base-url", "https://api.example.test/api/v1",
              "--api-key", SENTINEL, "--json", "--state-dir", str(tmp_path / "s"), *FAST],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    (request,) = httpx_mock.get_requests()
    assert request.url.scheme == "https"
    assert request.headers["x-api-key"] == SENTINEL  # sent where it belongs, and only there


# --------------------------------------------------------------------------------------------
# Formula cells in the rejected CSV
# --------------------------------------------------------------------------------------------

EVIL = {
    "First Name": '=HYPERLINK("http://evil.example","x")',
    "Company": "+1+cmd|' /C calc'!A0",
    "Phone": "-2+3",
    "Notes": "@SUM(A1:A9)",
    "Title": "\t=1+1",
    "=Header": "\r=2+2",
}


def write_evil(path: Path, emails: list[str]) -> None:
    with open(path, "w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["Email", *EVIL])
        for email in emails:
            w.writerow([email, *EVIL.values()])


def assert_neutralised(path: Path, want_rows: int) -> list[dict[str, str]]:
    """No cell (header included) starts like a formula; each evil cell kept behind a quote."""
    with open(path, newline="", encoding="utf-8") as fh:
        table = list(csv.reader(fh))
    for line in table:
        for cell in line:
            assert not cell.startswith(FORMULA_STARTS), f"formula cell {cell!r} in {path.name}"
    header, rows = table[0], table[1:]
    assert len(rows) == want_rows
    assert "'=Header" in header
    records = [dict(zip(header, row)) for row in rows]
    for rec in records:
        for name, value in EVIL.items():
            assert rec["'" + name if name.startswith("=") else name] == "'" + value
    return records


@pytest.mark.httpx_mock(can_send_already_matched_responses=True)
def test_a_server_reason_that_looks_like_a_formula_is_neutralised(
    httpx_mock, tmp_path: Path
) -> None:
    def refuse_poison(request: httpx.Request) -> httpx.Response:
        leads = json.loads(request.content)["leads"]
        if any(lead["email"].startswith("poison") for lead in leads):
            return httpx.Response(422, json={"detail": '=HYPERLINK("http://evil") bad lead'})
        return httpx.Response(200, json={"data": {"created": len(leads), "restored": 0,
                                                  "duplicates": 0, "errors": 0}})  # fmt: skip

    httpx_mock.add_callback(refuse_poison)
    path = tmp_path / "leads.csv"
    write_evil(path, [f"lead{i}@example.com" for i in range(7)] + ["poison@example.com"])
    rejected = tmp_path / "rejected.csv"
    result = runner.invoke(
        app, ["import", str(path), "--base-url", "https://api.example.test/api/v1", "--api-key",
              SENTINEL, "--rejected", str(rejected), "--state-dir", str(tmp_path / "s"), *FAST],
    )  # fmt: skip
    assert result.exit_code == 1, result.output
    (record,) = assert_neutralised(rejected, want_rows=1)
    assert '=HYPERLINK("http://evil") bad lead' in record["reason"]


# --------------------------------------------------------------------------------------------
# Owner-only files
# --------------------------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def permissive_umask() -> Iterator[None]:  # for config init
    """umask 000: files get exactly the mode the tool asks for, so loose modes show."""
    old = os.umask(0)
    try:
        yield
    finally:
        os.umask(old)


def _has_config_init() -> bool:
    result = runner.invoke(app, ["config", "--help"])
    return result.exit_code == 0 and "init" in result.output


needs_config_init = pytest.mark.skipif(
    not _has_config_init(), reason="`foxreach config init` does not exist yet"
)


@needs_config_init
@pytest.mark.parametrize("where", ["default", "env_file_option", "existing_loose_file"])
def test_config_init_writes_the_key_owner_only_and_never_echoes_it(
    tmp_path: Path, where: str
) -> None:
    target = tmp_path / (".env" if where == "default" else "custom.env")
    args = ["config", "init"] + ([] if where == "default" else ["--env-file", str(target)])
    if where == "existing_loose_file":
        target.write_text("FOXREACH_BASE_URL=https://api.example.test/api/v1\n")
        target.chmod(0o644)
    with chdir(tmp_path), permissive_umask():
        result = runner.invoke(app, args, input=SENTINEL + "\n")
    assert result.exit_code == 0, result.output
    assert_no_key_in_result(result, "config init")
    assert MASKED in result.stdout
    assert mode(target) == 0o600
    lines = target.read_text().splitlines()
    assert f"FOXREACH_API_KEY={SENTINEL}" in lines
    if where == "existing_loose_file":
        assert "FOXREACH_BASE_URL=https://api.example.test/api/v1" in lines
    # and the tool reads it back from there
    with chdir(tmp_path):
        shown = runner.invoke(app, ["config", "show", "--env-file", str(target)])
    assert MASKED in shown.stdout, shown.output


@needs_config_init
def test_config_init_refuses_something_that_is_not_a_key(tmp_path: Path) -> None:
    with chdir(tmp_path):
        result = runner.invoke(app, ["config", "init"], input=NON_OTR_SENTINEL + "\n")
    assert result.exit_code == 2
    assert not (tmp_path / ".env").exists()
    assert_no_key_in_result(result, "config init refused")
