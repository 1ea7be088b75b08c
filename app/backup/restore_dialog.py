"""从备份恢复: check a backup file with the signed-in account's password, show what it holds,
and only then offer to replace this laptop's data (the replaced files are kept aside)."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QDialog,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from assessment.errors import InputRejected
from assessment.records.api import SignInFailed, StoreError
from assessment.records.backup import BackupSummary
from assessment.usecases.backup import inspect


class RestoreDialog(QDialog):
    """检查 the file, read its summary, then 恢复 (accepted with :attr:`password`)."""

    def __init__(self, path: Path, username: str, unsynced_here: int,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("从备份恢复")
        self.path = path
        self.username = username
        self.summary: BackupSummary | None = None
        intro = QLabel(f"备份文件：{path.name}\n请输入账户 {username} 的密码以检查备份内容。"
                       "检查通过后才能恢复。")
        intro.setWordWrap(True)
        self.password_edit = QLineEdit()
        self.password_edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.password_edit.setObjectName("restorePassword")
        self.check_button = QPushButton("检查备份")
        self.check_button.clicked.connect(self.check)
        form = QFormLayout()
        form.addRow("密码", self.password_edit)
        self.findings = QLabel()
        self.findings.setObjectName("restoreSummary")
        self.findings.setWordWrap(True)
        warning = "恢复将用备份替换本机当前的数据，当前数据移到数据目录中的 replaced-… 文件夹保留。"
        if unsynced_here:
            warning += (f"注意：本机当前有 {unsynced_here} 条变更尚未同步，"
                        "恢复后它们只在保留的文件夹中。")
        self.warning = QLabel(warning)
        self.warning.setObjectName("fieldProblem")
        self.warning.setWordWrap(True)
        self.restore_button = QPushButton("替换为备份并重新登录")
        self.restore_button.setEnabled(False)
        self.restore_button.clicked.connect(self.accept)
        cancel = QPushButton("取消")
        cancel.clicked.connect(self.reject)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(cancel)
        buttons.addWidget(self.restore_button)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.check_button)
        layout.addWidget(self.findings)
        layout.addWidget(self.warning)
        layout.addLayout(buttons)
        self.setMinimumWidth(460)

    @property
    def password(self) -> str:
        """The password as typed."""
        return self.password_edit.text()

    def check(self) -> BackupSummary | None:
        """Check the file whole; show what it holds, or why it cannot be used."""
        self.summary = None
        self.restore_button.setEnabled(False)
        try:
            summary = inspect(self.path, self.username, self.password)
        except InputRejected as exc:
            self.findings.setText("无法使用该备份：" + "；".join(p.message for p in exc.problems))
            return None
        except SignInFailed:
            self.findings.setText("密码不对，或该备份中没有此账户")
            return None
        except (StoreError, OSError) as exc:
            self.findings.setText(f"无法读取备份：{exc}")
            return None
        self.summary = summary
        self.findings.setText("备份检查通过，内容如下：\n" + "\n".join(summary.lines()))
        self.restore_button.setEnabled(True)
        return summary
