"""The public certificate page ``/v/…``: what a phone shows after scanning a certificate.

No sign-in, no scripts, no personal data (see :mod:`server.certificate_check`); the page uses
the county pages' stylesheet and carries the same security headers.
"""

from __future__ import annotations

from server.certificate_check import PublicCheck
from server.web.html import Html, fmt, join
from server.web.labels import UI

_HEAD = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<meta name="robots" content="noindex">
<title>{title} · 老年人能力评估证书核验</title>
<link rel="stylesheet" href="{ui}/static/style.css">
</head>
<body>
"""


def _chinese_date(check: PublicCheck) -> str:
    day = check.reference_date
    return f"{day.year}年{day.month}月{day.day}日" if day is not None else ""


def verify_page(check: PublicCheck) -> str:
    """The whole page for one check."""
    title = "证书有效" if check.valid else "证书无效"
    verdict = fmt('<p class="flash {}" role="{}"><strong>{}</strong>　{}</p>',
                  "ok" if check.valid else "error", "status" if check.valid else "alert",
                  title, check.message)
    facts = Html("")
    if check.valid:
        rows = [("证书编号", check.certificate_no), ("老年人能力等级", check.grade),
                ("评估日期", _chinese_date(check)), ("签发乡镇", check.township)]
        facts = fmt('<dl class="facts">{}</dl>',
                    join(fmt("<dt>{}</dt><dd>{}</dd>", k, v) for k, v in rows))
    standing = fmt('<p class="hint">{}</p>', check.standing) if check.standing else Html("")
    body = fmt('<h1>老年人能力评估证书核验</h1>{}{}{}'
               '<p class="hint">本页只显示证书编号、等级、日期和签发乡镇，不显示老人的姓名、'
               '身份证号等个人信息。请与纸质证书上的内容核对。</p>', verdict, facts, standing)
    return (fmt(_HEAD, title=title, ui=UI)
            + fmt('<header class="top"><span class="brand">{}</span></header>',
                  "银龄评估 · 证书核验")
            + fmt("<main>{}</main>", body)
            + Html("<footer>依据 GB/T 42195-2022《老年人能力评估规范》。</footer></body></html>"))
