"""The Makefile never deletes the operator's data by accident: `make clean` leaves the database
and the files folder alone; `make reset-local-data` deletes them only after a typed "yes"."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

MAKEFILE = Path(__file__).resolve().parents[2] / "Makefile"

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


@pytest.fixture
def checkout(tmp_path: Path) -> Path:
    """A directory with local data and the leftovers `make clean` is for."""
    (tmp_path / "crm.db").write_text("contacts")
    (tmp_path / "crm.db-wal").write_text("journal")
    (tmp_path / "crm-files" / "crm" / "contact_1").mkdir(parents=True)
    (tmp_path / "crm-files" / "crm" / "contact_1" / "quote.pdf").write_text("pdf")
    (tmp_path / ".pytest_cache").mkdir()
    (tmp_path / "bot" / "__pycache__").mkdir(parents=True)
    return tmp_path


def make(directory: Path, target: str, answer: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["make", "--no-print-directory", "-f", str(MAKEFILE), target],
        cwd=directory,
        input=answer,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def _data_is_there(directory: Path) -> bool:
    return (directory / "crm.db").exists() and (
        directory / "crm-files" / "crm" / "contact_1" / "quote.pdf"
    ).exists()


def test_clean_keeps_the_database_and_the_files(checkout: Path) -> None:
    make(checkout, "clean")
    assert _data_is_there(checkout)
    assert (checkout / "crm.db-wal").exists()
    assert not (checkout / ".pytest_cache").exists()
    assert not (checkout / "bot" / "__pycache__").exists()


@pytest.mark.parametrize("answer", ["", "no\n", "y\n"])
def test_reset_local_data_keeps_everything_unless_told_yes(checkout: Path, answer: str) -> None:
    result = make(checkout, "reset-local-data", answer)
    assert "Type yes" in result.stdout
    assert "Kept everything." in result.stdout
    assert _data_is_there(checkout)


def test_reset_local_data_deletes_after_yes(checkout: Path) -> None:
    result = make(checkout, "reset-local-data", "yes\n")
    assert "crm.db" in result.stdout  # it shows what it is about to delete
    assert not (checkout / "crm.db").exists()
    assert not (checkout / "crm.db-wal").exists()
    assert not (checkout / "crm-files").exists()
    again = make(checkout, "reset-local-data")
    assert "No local data to delete." in again.stdout
