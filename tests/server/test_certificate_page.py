"""The certificate QR opens the county's public page: a real county server (uvicorn) started
with its public address, a demo laptop enrolled online, the certificate written by
``yinling certificate``, its QR decoded from the rendered PDF (pdftoppm + zbar), and the link
fetched from the server. Before enrolment the QR holds the signed code alone; the link still
verifies offline with ``yinling verify-certificate``."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from assessment.cli import main
from assessment.records.countynotes import PUBLIC_URL
from assessment.records.demo import DEMO_PASSWORD, DEMO_SUPERVISOR
from testkit.pgtemp import free_port
from testkit.process import ServerProcess
from tests.server.townships import Fleet, graded_elder

pytestmark = pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm 未安装")


def qr_of(pdf: Path, folder: Path) -> str:
    """The one QR code on the first page of a PDF, rendered at 200 dpi."""
    pyzbar = pytest.importorskip("pyzbar.pyzbar")
    from PIL import Image

    subprocess.run(["pdftoppm", "-png", "-r", "200", "-f", "1", "-l", "1", str(pdf),
                    str(folder / pdf.stem)], check=True)
    with Image.open(next(folder.glob(f"{pdf.stem}*.png"))) as image:
        found = pyzbar.decode(image)
    assert len(found) == 1
    return str(found[0].data.decode("ascii"))


def certificate(fleet: Fleet, name: str, assessment_id: str, out: Path) -> Path:
    code = main(["certificate", assessment_id, "--out", str(out), "--data-dir",
                 str(fleet.dirs[name]), "--user", DEMO_SUPERVISOR])
    assert code == 0, fleet.capsys.readouterr().err
    fleet.capsys.readouterr()
    return out


@pytest.fixture
def county(tmp_path: Path) -> Iterator[ServerProcess]:
    port = free_port()
    (tmp_path / "county").mkdir()
    server = ServerProcess(tmp_path / "county" / "data", port=port,
                           extra_args=["--public-url", f"http://127.0.0.1:{port}/"])
    server.start()
    yield server
    server.stop()


def test_the_qr_links_to_the_county_page(county: ServerProcess, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str],
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("YINLING_PASSWORD", DEMO_PASSWORD)
    fleet = Fleet(tmp_path / "laptops", capsys)
    fleet.add("one", 71, elders=4)
    with fleet.open("one") as ws:
        elder_id = graded_elder(ws)
        current = ws.assessments.current(elder_id)
        assert current is not None
        elder = ws.elders.get(elder_id)
        assessment_id, number = current.assessment_id, current.certificate_no
    assert number is not None
    shots = tmp_path / "png"
    shots.mkdir()

    # Not enrolled: no address known, the QR is the signed code alone.
    before = qr_of(certificate(fleet, "one", assessment_id, tmp_path / "before.pdf"), shots)
    assert before.startswith("YL1.")

    towns = fleet.townships(county, county.admin(), {"t": ["one"]})
    with fleet.open("one") as ws:
        assert ws.settings.get(PUBLIC_URL) == county.url  # reached the laptop at enrolment
    link = qr_of(certificate(fleet, "one", assessment_id, tmp_path / "after.pdf"), shots)
    assert link == f"HTTP://127.0.0.1:{county.port}/V/{before}"  # same code, inside a link

    with httpx.Client(timeout=30) as http:
        page = http.get(link)
        assert page.status_code == 200
        text = page.text
        assert "证书有效" in text
        assert number in text
        assert f"{towns['t']}镇" in text  # the issuing township
        assert "尚未收到" in text  # not synced yet: the county says so
        for private in (elder.name, elder.id_number or "-", assessment_id, elder_id):
            assert private not in text
        assert "<script" not in text.lower()
        csp = page.headers["Content-Security-Policy"]
        assert "script-src 'none'" in csp
        assert "default-src 'self'" in csp

        fleet.ok("one", "push")
        synced = http.get(link.replace("/V/", "/v/").lower().replace(before.lower(), before))
        assert "证书有效" in synced.text
        assert "尚未收到" not in synced.text

        index = link.index("YL1.") + 12
        forged = link[:index] + ("A" if link[index] != "A" else "B") + link[index + 1:]
        refused = http.get(forged)
        assert refused.status_code == 200
        assert "证书有效" not in refused.text
        assert "核验失败" in refused.text or "无效" in refused.text
        assert number not in refused.text
        junk = http.get(f"{county.url}/v/not-a-certificate")
        assert "不是有效的银龄评估证书二维码" in junk.text

    county.stop()  # offline: the laptop's command checks the same link with its own key
    assert main(["verify-certificate", link, "--data-dir", str(fleet.dirs["one"]),
                 "--user", DEMO_SUPERVISOR]) == 0
    assert "核验通过" in capsys.readouterr().out
