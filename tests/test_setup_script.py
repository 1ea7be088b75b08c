"""``tools/run.py`` on the steps a fresh machine goes through: a package manager busy with
an automatic update, and a ``.venv`` that an interrupted run left half-made."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import venv
from pathlib import Path

import pytest

from tests import debian

run = debian.load_run_script()

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="apt and fcntl locks are POSIX")

HOLD = textwrap.dedent("""
    import fcntl, os, sys, time
    fd = os.open(sys.argv[1], os.O_RDWR)
    fcntl.lockf(fd, fcntl.LOCK_EX)
    print("held", flush=True)
    sys.stdin.readline()  # hold until the test says so
""")


def test_waits_for_a_busy_package_manager_and_says_so(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lock = tmp_path / "lock-frontend"
    lock.touch()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(lock)], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert run.busy_locks([lock]) == [lock]
        # Still held after the limit: the caller is told to give up, not to run apt anyway.
        assert run.wait_for_package_manager([lock], poll_s=0.05, limit_s=0.2) is False
        assert "正在运行，等待它结束" in capsys.readouterr().out
    finally:
        assert holder.stdin is not None
        assert holder.stdout is not None
        holder.stdin.write("\n")
        holder.stdin.close()
        holder.wait(timeout=30)
        holder.stdout.close()
    assert run.busy_locks([lock]) == []
    assert run.wait_for_package_manager([lock], poll_s=0.05, limit_s=0.2) is True
    assert capsys.readouterr().out == ""  # a free package manager is not mentioned


def test_a_lock_file_that_does_not_exist_is_free(tmp_path: Path) -> None:
    assert run.busy_locks([tmp_path / "missing"]) == []


# A PEP 660 build backend in 15 lines, so that the editable install of the project needs no
# package from the network (the real project uses setuptools from the lock).
BACKEND = textwrap.dedent("""
    import zipfile
    from pathlib import Path

    def build_editable(wheel_directory, config_settings=None, metadata_directory=None):
        name = "demo_pkg-1-py3-none-any.whl"
        info = "demo_pkg-1.dist-info/"
        with zipfile.ZipFile(Path(wheel_directory) / name, "w") as whl:
            whl.writestr("demo_pkg.pth", str(Path(__file__).parent) + "\\n")
            whl.writestr(info + "METADATA",
                         "Metadata-Version: 2.1\\nName: demo-pkg\\nVersion: 1\\n")
            whl.writestr(info + "WHEEL", "Wheel-Version: 1.0\\nRoot-Is-Purelib: true\\n"
                         "Tag: py3-none-any\\n")
            whl.writestr(info + "RECORD", "")
        return name
""")


@pytest.mark.slow
def test_a_half_made_venv_is_rebuilt(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                     capsys: pytest.CaptureFixture[str]) -> None:
    # What an interrupted first run leaves: an interpreter without pip (ensurepip failed).
    project = tmp_path / "project"
    (project / "demo_pkg").mkdir(parents=True)
    (project / "demo_pkg" / "__init__.py").write_text('"""Demo."""\n')
    (project / "pyproject.toml").write_text(textwrap.dedent("""
        [build-system]
        requires = []
        build-backend = "backend"
        backend-path = ["."]
    """))
    (project / "backend.py").write_text(BACKEND)
    lock = project / "requirements.lock"
    lock.write_text("# nothing pinned\n")
    env_dir = project / ".venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    monkeypatch.setattr(run, "ROOT", project)
    monkeypatch.setattr(run, "VENV", env_dir)
    monkeypatch.setattr(run, "LOCK", lock)
    monkeypatch.setattr(run, "STAMP", env_dir / ".yinling-lock-sha256")
    assert run.venv_works(run.venv_python()) is False

    python = run.ensure_venv()

    assert "不完整" in capsys.readouterr().out
    assert run.venv_works(python)
    assert (env_dir / ".yinling-lock-sha256").is_file()
    imported = subprocess.run([str(python), "-c", "import demo_pkg"], cwd=tmp_path,
                              check=False)
    assert imported.returncode == 0  # the project itself was installed (editable)


def test_a_failed_pip_run_stops_with_a_message_not_a_traceback(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as stopped:
        run.pip_install(Path(sys.executable), ["--no-index", "--require-hashes",
                                               "no-such-package-yinling==1"])
    assert stopped.value.code == 3
    assert "安装依赖失败" in capsys.readouterr().out
