"""Offline enrolment: the laptop's enrolment request file goes up, the county's signed
response file comes back as a download (the same :func:`server.enrolment.enrol` and the same
file as ``yinling county enrol-device``)."""

from __future__ import annotations

from server.web.html import Html, fmt, link
from server.web.labels import UI
from server.web.layout import csrf_field
from server.web.townships_view import ENROL_URL, TOWNSHIPS_URL, problem_box


def form(csrf: str, max_bytes: int, problem: str = "", filename: str = "") -> Html:
    """The upload form (with the reason and file name when the last one was refused)."""
    refused = Html("")
    if problem:
        refused = fmt('{}<p>文件：{}。服务器未做任何登记，登记码仍可再用（如未过期）。</p>',
                      problem_box(f"未登记：{problem}"), filename or "（未命名）")
    return fmt('<h1>离线登记笔记本</h1>{}'
               '<p class="hint">笔记本没有网络时，评估员在笔记本上“同步 → 登记本机… → 离线登记”中'
               '填写县里生成的一次性登记码，生成登记申请文件（或运行 '
               '<code>yinling sync enrol-request</code>），拷到县里。在这里上传该文件：'
               '服务器核对申请签名和登记码，登记该设备，浏览器随即下载签名的登记回复文件，'
               '与 <code>yinling county enrol-device</code> 写出的文件相同。'
               '请把回复文件拷回笔记本，在同一页面“导入登记回复文件…”。</p>'
               '<form class="upload" method="post" action="{}" enctype="multipart/form-data">{}'
               '<p><label>登记申请文件 <input type="file" name="request" accept=".json" required>'
               '</label></p><p class="hint">大小上限 {} KB。登记码写在申请文件中，'
               '服务器不记录文件内容。</p>'
               '<p><button type="submit">登记并下载回复文件</button></p></form>'
               '<p class="noprint">登记后可在{}页面看到该设备；登记码在{}生成。</p>',
               refused, ENROL_URL, csrf_field(csrf), max_bytes // 1024,
               link(f"{UI}/devices", "设备"), link(TOWNSHIPS_URL, "乡镇与账号"))
