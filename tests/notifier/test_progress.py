"""Progress bars for long work: drawn on a terminal (a real pseudo-terminal here), never when stderr is
piped, never with --quiet (after the command or before it)."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

HEADER = "customer_id,name,email,language,agreement,version\n"
PROGRAM = "from clausewise.cli import main; main(prog_name='clausewise')"


def run_with_stderr_on_a_terminal(args: list[str], *, terminal: bool) -> tuple[int, str, str]:
    """Run clausewise with stdout piped and stderr on a pseudo-terminal (or piped): (exit, stdout, stderr)."""
    if not terminal:
        result = subprocess.run([sys.executable, "-c", PROGRAM, *args], capture_output=True, text=True, timeout=120)
        return result.returncode, result.stdout, result.stderr
    controller, terminal_end = pty.openpty()
    process = subprocess.Popen([sys.executable, "-c", PROGRAM, *args], stdout=subprocess.PIPE, stderr=terminal_end,
                               env={**os.environ, "COLUMNS": "100"})
    os.close(terminal_end)
    chunks = []
    while True:
        try:
            chunk = os.read(controller, 65536)
        except OSError:  # the terminal closed: the process is done with it
            break
        if not chunk:
            break
        chunks.append(chunk)
    stdout = process.stdout.read().decode()
    process.stdout.close()
    os.close(controller)
    return process.wait(timeout=120), stdout, b"".join(chunks).decode(errors="replace")


def customers_file(folder: Path, rows: int) -> Path:
    path = folder / "customers.csv"
    path.write_text(HEADER + "".join(f"C{n},Customer {n},c{n}@example.com,en,trial-en,1\n" for n in range(rows)))
    return path


@pytest.fixture()
def big_customers(tmp_path: Path) -> Path:
    return customers_file(tmp_path, 12000)  # more lines than one progress step


@pytest.mark.parametrize(("flags", "terminal", "bar"), [
    ([], True, True),
    ([], False, False),
    (["--quiet"], True, False),
])
def test_customer_import_progress(legal_repo, big_customers: Path, flags: list[str], terminal: bool, bar: bool) -> None:
    code, stdout, stderr = run_with_stderr_on_a_terminal(
        ["customers", "import", str(big_customers), "--repo", str(legal_repo.root), *flags], terminal=terminal)
    assert code == 0, stderr
    assert "imported 12000 customer rows" in stdout  # the result itself never goes to the terminal's bar
    assert ("Importing customers (bytes)" in stderr) is bar
    if bar:
        assert "100%" in stderr


def test_global_quiet_before_the_command_and_dry_run_rendering_progress(legal_repo, tmp_path: Path) -> None:
    root = str(legal_repo.root)
    assert run_with_stderr_on_a_terminal(["--repo", root, "customers", "import", str(customers_file(tmp_path, 150))],
                                         terminal=False)[0] == 0
    assert run_with_stderr_on_a_terminal(["--repo", root, "announce", "version", "trial-en"], terminal=False)[0] == 0
    code, stdout, stderr = run_with_stderr_on_a_terminal(["--repo", root, "notify", "send", "--dry-run"],
                                                         terminal=True)
    assert code == 0, stderr
    assert "Rendering notices (dry run)" in stderr and "100%" in stderr
    code, stdout, stderr = run_with_stderr_on_a_terminal(["--quiet", "--repo", root, "notify", "send", "--dry-run"],
                                                         terminal=True)
    assert code == 0, stderr
    assert "Rendering notices" not in stderr and "150" in stdout
