"""A private CUPS scheduler with a ``cups-pdf`` queue, for printing tests through a real print
system (the app's 打印 path: QPrinter → CUPS → cups-pdf → a PDF file to read back).

The scheduler runs from a configuration in a temporary folder and listens on its own socket
(``CUPS_SERVER``), so the machine's own CUPS, if any, is neither needed nor touched; only the
queue's small ``cups-pdf-<queue>.conf`` (the backend reads it from ``/etc/cups``) names the
folder the PDFs land in, and is removed again. cups-pdf's backend runs only under a root
scheduler: :func:`cups_problem` says what is missing (the Debian packages ``cups``,
``cups-client`` and ``printer-driver-cups-pdf``, or root).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

CUPSD = "/usr/sbin/cupsd"
BACKEND = Path("/usr/lib/cups/backend/cups-pdf")
PPD_DIRS = (Path("/usr/share/ppd/cups-pdf"), Path("/usr/share/cups/model"))
CONF_DIR = Path("/etc/cups")


def _ppd() -> Path | None:
    for folder in PPD_DIRS:
        for name in ("CUPS-PDF_opt.ppd", "CUPS-PDF.ppd"):
            if (folder / name).is_file():
                return folder / name
    return None


def cups_problem() -> str | None:
    """Why a private cups-pdf queue cannot be set up here (``None`` when it can)."""
    if not sys.platform.startswith("linux"):
        return "not linux"
    missing = [name for name in (CUPSD, "lpadmin", "lpstat") if shutil.which(name) is None]
    if missing:
        return f"缺少 CUPS 程序 {', '.join(missing)}（apt-get install cups cups-client）"
    if not BACKEND.is_file() or _ppd() is None:
        return "缺少 cups-pdf（apt-get install printer-driver-cups-pdf）"
    if os.geteuid() != 0:
        return "cups-pdf 的后端只在以 root 运行的 CUPS 调度程序下工作"
    if not os.access(CONF_DIR, os.W_OK):
        return f"无法写入 {CONF_DIR}（cups-pdf 从那里读取队列配置）"
    return None


class PrivateCups:
    """``cupsd`` on a socket in ``root`` with one cups-pdf queue writing into ``out``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.queue = f"yl{uuid.uuid4().hex[:8]}"
        self.socket = root / "cups.sock"
        self.out = root / "out"
        self.conf = CONF_DIR / f"cups-pdf-{self.queue}.conf"
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def env(self) -> dict[str, str]:
        """The environment that points CUPS clients (libcups, lp, Qt) at this scheduler."""
        return {**os.environ, "CUPS_SERVER": str(self.socket)}

    def start(self) -> PrivateCups:
        """Write the configuration, start the scheduler, add the queue; raise on failure."""
        for name in ("etc", "spool", "cache", "state", "log", "tmp", "out"):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        os.chmod(self.root / "tmp", 0o1777)
        os.chmod(self.out, 0o1777)
        (self.root / "etc" / "cupsd.conf").write_text(
            f"Listen {self.socket}\nLogLevel warn\nWebInterface No\nDefaultAuthType None\n"
            "<Location />\n  Order allow,deny\n  Allow all\n</Location>\n"
            "<Policy default>\n  <Limit All>\n    Order allow,deny\n    Allow all\n"
            "  </Limit>\n</Policy>\n", encoding="ascii")
        (self.root / "etc" / "cups-files.conf").write_text(
            f"ServerRoot {self.root / 'etc'}\nRequestRoot {self.root / 'spool'}\n"
            f"CacheDir {self.root / 'cache'}\nStateDir {self.root / 'state'}\n"
            f"TempDir {self.root / 'tmp'}\nServerBin /usr/lib/cups\nDataDir /usr/share/cups\n"
            f"AccessLog {self.root / 'log' / 'access_log'}\n"
            f"ErrorLog {self.root / 'log' / 'error_log'}\n"
            f"PageLog {self.root / 'log' / 'page_log'}\nSystemGroup root\n"
            "Sandboxing Relaxed\n", encoding="ascii")
        self.conf.write_text(f"Out {self.out}\nAnonDirName {self.out}\nGrp root\n",
                             encoding="ascii")
        with open(self.root / "cupsd.out", "ab") as log:
            self._process = subprocess.Popen(
                [CUPSD, "-f", "-c", str(self.root / "etc" / "cupsd.conf"),
                 "-s", str(self.root / "etc" / "cups-files.conf")], stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while subprocess.run(["lpstat", "-r"], env=self.env, capture_output=True,
                             text=True).stdout.strip() != "scheduler is running":
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("CUPS 调度程序未能启动：" + self.log())
            time.sleep(0.1)
        added = subprocess.run(["lpadmin", "-p", self.queue, "-E", "-v",
                                f"cups-pdf:/{self.queue}", "-P", str(_ppd()),
                                "-o", "PageSize=A4"],
                               env=self.env, capture_output=True, text=True)
        if added.returncode != 0:
            self.stop()
            raise RuntimeError(f"无法添加 cups-pdf 打印队列：{added.stderr}")
        return self

    def log(self) -> str:
        """What the scheduler wrote."""
        parts = [self.root / "cupsd.out", self.root / "log" / "error_log"]
        return "\n".join(p.read_text(errors="replace") for p in parts if p.is_file())

    def wait_for_pdfs(self, count: int, timeout: float = 120.0) -> list[Path]:
        """The PDFs in the output folder once ``count`` exist and the queue is idle."""
        deadline = time.monotonic() + timeout
        while True:
            found = sorted(self.out.rglob("*.pdf"))
            idle = "idle" in subprocess.run(["lpstat", "-p", self.queue], env=self.env,
                                            capture_output=True, text=True).stdout
            if len(found) >= count and idle:
                return found
            if time.monotonic() > deadline:
                raise RuntimeError(f"cups-pdf 在 {timeout:.0f} 秒内只写出 {len(found)} 个 PDF："
                                   + self.log())
            time.sleep(0.2)

    def stop(self) -> None:
        """Stop the scheduler and remove the queue's configuration file."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(20)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        self.conf.unlink(missing_ok=True)
