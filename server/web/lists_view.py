"""The service-list versions the county published for laptops to install, and the form that
publishes a new one from a YAML file (checked first, see :mod:`server.list_publishing`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from server.list_publishing import Published
from server.web.html import Html, fmt, table
from server.web.labels import UI, when
from server.web.layout import csrf_field
from server.web.townships_view import problem_box

LISTS_URL = f"{UI}/lists"


def published_text(done: Published) -> str:
    """The message after publishing."""
    return (f"已发布服务清单 {done.list_id} 第 {done.version} 版：{done.title}"
            f"（{done.ref}，SHA-256 {done.sha256[:12]}…）。"
            "各乡镇的笔记本下次同步时下载、核对并安装。")


def listing(published: Sequence[Mapping[str, Any]], csrf: str, max_bytes: int, *,
            problem: str = "", filename: str = "") -> Html:
    """The published versions, newest first, and the upload form."""
    rows = [[fmt("<code>{}</code>", p["list_id"]), p["version"],
             fmt('<code title="{}">{}</code>', p["sha256"], str(p["sha256"])[:12]),
             when(p["published_at"])] for p in published]
    refused = Html("")
    if problem:
        refused = fmt('{}<p>文件：{}。未发布任何内容。</p>',
                      problem_box(f"未发布：{problem}"), filename or "（未命名）")
    return fmt('<h1>服务清单</h1>'
               '<p class="hint">服务清单决定老人可享受哪些服务项目。县里发布的新版本随同步下发，'
               '各笔记本核对内容后自动安装；全县统计也按已发布的版本计算。'
               '软件自带的清单不在此列出。</p>'
               '<h2>已发布的版本</h2>{}'
               '<h2 id="publish">发布新版本</h2>{}'
               '<form class="upload" method="post" action="{}" enctype="multipart/form-data">{}'
               '<p><label>清单文件（YAML） <input type="file" name="list" '
               'accept=".yaml,.yml" required></label></p>'
               '<p class="hint">文件中的 <code>list</code> 即清单编号，'
               '发布版本号自动取该清单的下一个；'
               '文件中的 <code>version</code> 须是新的版本号（已有的版本号不能换内容）。'
               '上传后先按笔记本的规则完整核对（格式、字段、规则、属性词表），有任何问题则不发布并'
               '说明原因。大小上限 {} KB。</p>'
               '<p><button type="submit">核对并发布</button></p></form>',
               table(["清单编号", "发布版本", "SHA-256", "发布时间"], rows,
                     empty="县里尚未发布过服务清单，笔记本使用软件自带的清单。",
                     numeric=frozenset({1})),
               refused, LISTS_URL, csrf_field(csrf), max_bytes // 1024)
