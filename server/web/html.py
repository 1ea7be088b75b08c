"""Safe HTML fragments: every value is escaped on the way in, markup is marked as such.

Views build pages from :class:`Html` fragments. :func:`fmt` escapes each argument unless it is
already :class:`Html`, so a value from the database can only ever reach a page as text.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Sequence


class Html(str):
    """Markup that is safe to send as it is (built by :func:`fmt`, :func:`esc`, :func:`join`)."""

    __slots__ = ()


def esc(value: object) -> Html:
    """``value`` as text in a page (``None`` is empty); :class:`Html` passes unchanged."""
    if isinstance(value, Html):
        return value
    if value is None:
        return Html("")
    return Html(html.escape(str(value), quote=True))


def fmt(template: str, *args: object, **kwargs: object) -> Html:
    """Fill a fixed template (``str.format`` syntax) with escaped values."""
    return Html(template.format(*(esc(a) for a in args),
                                **{k: esc(v) for k, v in kwargs.items()}))


def join(parts: Iterable[object], sep: str = "") -> Html:
    """Escaped parts joined by a fixed separator."""
    return Html(sep.join(esc(part) for part in parts))


def hidden(name: str, value: object) -> Html:
    """A hidden form field."""
    return fmt('<input type="hidden" name="{}" value="{}">', name, value)


def table(headers: Sequence[str], rows: Iterable[Sequence[object]], *, empty: str,
          css: str = "", numeric: frozenset[int] = frozenset()) -> Html:
    """A table with a header row; ``empty`` is shown when there are no rows; the columns
    in ``numeric`` are right-aligned."""

    def cell(tag: str, index: int, value: object) -> Html:
        align = Html(' class="num"') if index in numeric else Html("")
        return fmt("<{}{}>{}</{}>", Html(tag), align, value, Html(tag))

    body = [fmt("<tr>{}</tr>", join(cell("td", i, v) for i, v in enumerate(row)))
            for row in rows]
    if not body:
        return fmt('<p class="empty">{}</p>', empty)
    head = join(fmt('<th scope="col"{}>{}</th>',
                    Html(' class="num"') if i in numeric else Html(""), h)
                for i, h in enumerate(headers))
    return fmt('<table class="{}"><thead><tr>{}</tr></thead><tbody>{}</tbody></table>',
               css, head, join(body))


def link(href: str, text: object, css: str = "") -> Html:
    """An anchor (``href`` is escaped as an attribute value)."""
    if css:
        return fmt('<a class="{}" href="{}">{}</a>', css, href, text)
    return fmt('<a href="{}">{}</a>', href, text)
