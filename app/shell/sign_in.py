"""The sign-in window, also used as the lock screen.

Signing in is opening the encrypted store with the account's password; a wrong password is
reported beside the password field in Chinese. When locked after idle time, the same window
asks the signed-in user for the password again (the store was closed on lock, so nothing
personal stays in memory while locked).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.common.geometry import fit_window
from assessment import __version__
from assessment.records.api import SignInFailed, StoreError

if TYPE_CHECKING:
    from assessment.records.workspace import Workspace

Opener = Callable[[str, str], "Workspace"]


WRONG_PASSWORD = "密码错误，请重新输入"


class SignInWindow(QWidget):
    """Username + password; ``signed_in`` carries the open workspace."""

    signed_in = Signal(object)
    switch_user_requested = Signal()

    def __init__(self, opener: Opener, *, hint: str = "", parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.opener = opener
        self.locked = False
        self.setObjectName("signInWindow")
        self.setWindowTitle("银龄评估 · 登录")
        fit_window(self, QSize(520, 500))
        card = QFrame()
        card.setObjectName("signInCard")
        self.title = QLabel("银龄评估")
        self.title.setObjectName("appTitle")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.subtitle = QLabel("老年人能力评估（GB/T 42195-2022）")
        self.subtitle.setObjectName("appSubtitle")
        self.subtitle.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.username = QLineEdit()
        self.username.setObjectName("username")
        self.username.setPlaceholderText("用户名")
        self.password = QLineEdit()
        self.password.setObjectName("password")
        self.password.setPlaceholderText("密码")
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.username_problem = QLabel()
        self.username_problem.setObjectName("fieldProblem")
        self.username_problem.hide()
        self.password_problem = QLabel()
        self.password_problem.setObjectName("fieldProblem")
        self.password_problem.setWordWrap(True)
        self.password_problem.hide()
        form = QFormLayout()
        form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        form.addRow("用户名", self.username)
        form.addRow("", self.username_problem)
        form.addRow("密码", self.password)
        form.addRow("", self.password_problem)
        self.button = QPushButton("登录")
        self.button.setObjectName("signInButton")
        self.button.setDefault(True)
        self.button.clicked.connect(self.submit)
        self.switch_user = QPushButton("切换用户")
        self.switch_user.setFlat(True)
        self.switch_user.clicked.connect(self.switch_user_requested)
        self.switch_user.hide()
        self.message = QLabel()
        self.message.setObjectName("problemBox")
        self.message.setWordWrap(True)
        self.message.hide()
        self.hint = QLabel(hint)
        self.hint.setObjectName("demoHint")
        self.hint.setWordWrap(True)
        self.hint.setVisible(bool(hint))
        inner = QVBoxLayout(card)
        inner.setSpacing(10)
        inner.addWidget(self.title)
        inner.addWidget(self.subtitle)
        inner.addSpacing(12)
        inner.addLayout(form)
        inner.addWidget(self.message)
        inner.addWidget(self.button)
        inner.addWidget(self.switch_user, 0, Qt.AlignmentFlag.AlignRight)
        inner.addWidget(self.hint)
        version = QLabel(f"版本 {__version__}　数据加密保存在本机")
        version.setObjectName("versionLabel")
        version.setAlignment(Qt.AlignmentFlag.AlignCenter)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addWidget(card, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(1)
        outer.addWidget(version)
        self.username.returnPressed.connect(self.password.setFocus)
        self.password.returnPressed.connect(self.submit)
        self.password.textEdited.connect(lambda _t: self.password_problem.hide())

    def lock(self, username: str, reason: str = "因长时间未操作已锁定") -> None:
        """Switch to the lock screen for ``username``."""
        self.locked = True
        self.setWindowTitle("银龄评估 · 已锁定")
        self.title.setText("已锁定")
        self.subtitle.setText(f"{reason}，请输入密码解锁")
        self.username.setText(username)
        self.username.setReadOnly(True)
        self.password.clear()
        self.password_problem.hide()
        self.message.hide()
        self.button.setText("解锁")
        self.switch_user.show()
        self.hint.hide()
        self.password.setFocus()

    def unlock_mode_off(self, hint: str = "") -> None:
        """Back to the plain sign-in (after 切换用户 or 退出登录)."""
        self.locked = False
        self.setWindowTitle("银龄评估 · 登录")
        self.title.setText("银龄评估")
        self.subtitle.setText("老年人能力评估（GB/T 42195-2022）")
        self.username.setReadOnly(False)
        self.username.clear()
        self.password.clear()
        self.password_problem.hide()
        self.message.hide()
        self.button.setText("登录")
        self.switch_user.hide()
        self.hint.setText(hint)
        self.hint.setVisible(bool(hint))
        self.username.setFocus()

    def submit(self) -> None:
        """Try to open the store with the typed username and password."""
        username = self.username.text().strip()
        password = self.password.text()
        self.username_problem.setVisible(not username)
        self.username_problem.setText("请输入用户名")
        if not username:
            self.username.setFocus()
            return
        if not password:
            self._password_problem("请输入密码")
            return
        self.button.setEnabled(False)
        try:
            workspace = self.opener(username, password)
        except SignInFailed as exc:
            # Locked, the username is fixed: the password is what is wrong. Signing in, one
            # message for both (no hint which usernames exist).
            self._password_problem(WRONG_PASSWORD if self.locked
                                   else str(exc) or "用户名或密码错误，请重新输入")
            return
        except StoreError as exc:
            self.message.setText(str(exc))
            self.message.show()
            return
        finally:
            self.button.setEnabled(True)
        self.password.clear()
        self.message.hide()
        self.signed_in.emit(workspace)

    def _password_problem(self, text: str) -> None:
        self.password_problem.setText(text)
        self.password_problem.show()
        self.password.selectAll()
        self.password.setFocus()
