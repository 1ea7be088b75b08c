"""One Appendix B item as the form prints it, answerable with the mouse or one key press.

The label is "B.1.1 进食：definition", then the 注 and its footnote, then every option from
the highest score down as "N分：criterion". With the item focused, a digit chooses the option
with that score and focus moves on to the next item by itself; Enter moves on from an answered
item only (on an unanswered one it stays and says so: no item is passed silently); Backspace
clears. Where one score has more than one option (B.3.9: 0 分 is 昏睡 or 昏迷), the first press
of the digit chooses the first option and a second press the next one; focus then waits for
Enter, and the key hints beside the options say so.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QMouseEvent
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from app.common.fields import repolish
from assessment.forms import Item, ItemOption

UNANSWERED_ENTER = "本项尚未评分，不能跳过：请按数字键选分（或用鼠标点选）"
KEYBOARD_HELP = ("键盘：数字键选分并自动到下一项；未评分时回车不跳过；退格清除；"
                 "Ctrl+Z 撤销；Ctrl+J 未评项")


class OptionRow(QFrame):
    """One option: its key hint and "N分：criterion", wrapped; click to choose."""

    clicked = Signal()

    def __init__(self, option: ItemOption, hint: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.option = option
        self.setObjectName("optionRow")
        self.setProperty("selected", False)
        self.setCursor(Qt.CursorShape.PointingHandCursor)
        self.hint = QLabel(hint)
        self.hint.setObjectName("keyHint")
        self.hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.text = QLabel(f"{option.score}分：{option.text}")
        self.text.setWordWrap(True)
        self.text.setObjectName("optionText")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(6, 3, 6, 3)
        layout.addWidget(self.hint, 0, Qt.AlignmentFlag.AlignTop)
        layout.addWidget(self.text, 1)

    def set_selected(self, selected: bool) -> None:
        """Mark this option as the chosen one."""
        if bool(self.property("selected")) != selected:
            self.setProperty("selected", selected)
            repolish(self)
            repolish(self.text)

    def mousePressEvent(self, event: QMouseEvent) -> None:  # noqa: N802 - Qt override
        """Choose this option."""
        if event.button() == Qt.MouseButton.LeftButton and self.isEnabled():
            self.clicked.emit()
        super().mousePressEvent(event)


def _key_hints(item: Item) -> list[str]:
    """The key to press for each option: the digit, and "再按 N" for a second option of N."""
    seen: dict[int, int] = {}
    hints = []
    for option in item.options:
        count = seen.get(option.score, 0)
        seen[option.score] = count + 1
        hints.append(str(option.score) if count == 0 else f"再按{option.score}")
    return hints


class ItemWidget(QFrame):
    """An Appendix B item; emits :attr:`answered` and :attr:`advance` (move to the next one)."""

    answered = Signal(str, object, object)  # item key, score or None, state or None
    advance = Signal()

    def __init__(self, item: Item, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.item = item
        self.setObjectName("itemWidget")
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setProperty("focused", False)
        self.setProperty("answered", False)
        self.read_only = False
        self.score: int | None = None
        self.state: str | None = None
        title = QLabel(f"<b>{item.key} {item.label}</b>")
        title.setWordWrap(True)
        title.setObjectName("itemTitle")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(10, 8, 10, 8)
        layout.setSpacing(3)
        layout.addWidget(title)
        if item.note:
            note = QLabel(item.note + ("¹" if item.note_footnote else ""))
            note.setWordWrap(True)
            note.setObjectName("itemNote")
            layout.addWidget(note)
        self.rows: list[OptionRow] = []
        for option, hint in zip(item.options, _key_hints(item), strict=True):
            row = OptionRow(option, hint)
            row.clicked.connect(lambda o=option: self._choose(o, from_key=False))
            self.rows.append(row)
            layout.addWidget(row)
        if item.note_footnote:
            footnote = QLabel("¹ " + item.note_footnote)
            footnote.setWordWrap(True)
            footnote.setObjectName("itemFootnote")
            layout.addWidget(footnote)
        self.status = QLabel()
        self.status.setObjectName("itemStatus")
        layout.addWidget(self.status)
        self._refresh_status()

    @property
    def stated_scores(self) -> frozenset[int]:
        """Scores that have more than one option (told apart by a recorded state)."""
        return frozenset(s for s in self.item.scores if self.item.states_for(s))

    def set_answer(self, score: int | None, state: str | None) -> None:
        """Show a stored answer without emitting :attr:`answered`."""
        self.score = score
        self.state = state if score is not None and score in self.stated_scores else None
        for row in self.rows:
            row.set_selected(self._matches(row.option))
        self.setProperty("answered", score is not None)
        repolish(self)
        self._refresh_status()

    def _matches(self, option: ItemOption) -> bool:
        if self.score is None or option.score != self.score:
            return False
        return option.state is None or option.state == self.state

    def set_read_only(self, read_only: bool) -> None:
        """Lock the item (finalized assessments)."""
        self.read_only = read_only
        for row in self.rows:
            row.setEnabled(not read_only)
            row.setCursor(Qt.CursorShape.ArrowCursor if read_only
                          else Qt.CursorShape.PointingHandCursor)

    def _choose(self, option: ItemOption, *, from_key: bool) -> None:
        if self.read_only:
            return
        self.setFocus(Qt.FocusReason.OtherFocusReason)
        self.set_answer(option.score, option.state)
        self.answered.emit(self.item.key, option.score, option.state)
        if from_key and option.state is None:
            self.advance.emit()

    def choose_key(self, digit: int) -> bool:
        """Act on a digit key: choose (or cycle to) the option with that score."""
        same = [o for o in self.item.options if o.score == digit]
        if not same:
            self.status.setText(f"没有 {digit} 分选项，可按：" + "、".join(
                str(s) for s in sorted(self.item.scores, reverse=True)))
            return False
        if len(same) > 1 and self.score == digit:
            current = next((i for i, o in enumerate(same) if o.state == self.state), -1)
            option = same[(current + 1) % len(same)]
        else:
            option = same[0]
        self._choose(option, from_key=True)
        return True

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt override
        """Digits choose (and move on), Enter moves on when answered, Backspace/Delete clear."""
        key = event.key()
        text = event.text()
        if text.isdigit() and len(text) == 1 and not self.read_only:
            self.choose_key(int(text))
            event.accept()
            return
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.score is None and not self.read_only:
                self.status.setText(UNANSWERED_ENTER)
            else:
                self.advance.emit()
            event.accept()
            return
        if key in (Qt.Key.Key_Backspace, Qt.Key.Key_Delete) and not self.read_only:
            self.set_answer(None, None)
            self.answered.emit(self.item.key, None, None)
            event.accept()
            return
        super().keyPressEvent(event)

    def _refresh_status(self) -> None:
        if self.score is not None and self.score in self.stated_scores:
            others = [o.state for o in self.item.options
                      if o.score == self.score and o.state != self.state]
            self.status.setText(
                f"已选 {self.score}分（{self.state}）。再按 {self.score} 改为"
                f"{'、'.join(str(o) for o in others)}，按回车继续"
            )
        elif self.score is None:
            keys = "、".join(str(s) for s in sorted(self.item.scores, reverse=True))
            self.status.setText(f"按数字键 {keys} 选分，选后自动到下一项")
        else:
            self.status.setText("")

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        """Highlight the item that takes the keys."""
        self.setProperty("focused", True)
        repolish(self)
        super().focusInEvent(event)

    def focusOutEvent(self, event: QFocusEvent) -> None:  # noqa: N802 - Qt override
        """Drop the highlight."""
        self.setProperty("focused", False)
        repolish(self)
        super().focusOutEvent(event)
