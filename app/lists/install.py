"""Service-list versions of the workspace: loading them, showing them, installing new ones.

The lists in use are the bundled ones plus the versions installed into the workspace data
folder's ``service_lists``. Only an administrator account (role ``supervisor``) may install a
list file; the workspace validates and seals it (:meth:`ServiceLists.install`: county-signed,
or a local list marked 本机安装（未经县级签发） on a laptop without a county) and a refusal
names the file, the item and the reason. Installed versions never replace older ones,
so a match as of an earlier date still uses the version in force then.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from PySide6.QtCore import QSize, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.common.file_dialogs import open_file
from app.common.geometry import fit_window
from app.lists.models import ListVersionsModel
from assessment.eligibility import (
    ListRegistry,
    ServiceList,
    load_lists,
    workspace_lists_dir,
)
from assessment.errors import FormFileError, InputRejected, Problem

INSTALL_ROLE = "supervisor"


def lists_dir(data_dir: Path) -> Path:
    """Where this workspace keeps installed list versions (the core's one folder, also used
    by sync, certificates and statistics)."""
    return workspace_lists_dir(data_dir)


def load_app_lists(data_dir: Path) -> ListRegistry:
    """The bundled list versions plus those installed for this workspace."""
    return load_lists(lists_dir(data_dir))


def may_install(role: str) -> bool:
    """Only administrator accounts install list files."""
    return role == INSTALL_ROLE


def refusal_text(error: FormFileError) -> str:
    """A refused list file, in Chinese: file, item (key) and reason."""
    return (f"清单文件未安装。\n文件：{error.file}\n位置（项目/键）：{error.key}\n"
            f"原因：{error.reason}")


class ListsDialog(QDialog):
    """服务清单版本: the installed versions, and 安装服务清单… for administrators."""

    installed = Signal(object)  # the installed ServiceList

    def __init__(self, data_dir: Path, role: str, parent: QWidget | None = None, *,
                 installer: Callable[[Path], ServiceList] | None = None) -> None:
        super().__init__(parent)
        self.installer = installer
        self.setWindowTitle("服务清单版本")
        fit_window(self, QSize(900, 420))
        self.data_dir = data_dir
        self.ask_path: Callable[[], Path | None] = self._ask_path_dialog
        self.model = ListVersionsModel(self)
        self.view = QTableView()
        self.view.setObjectName("listVersions")
        self.view.setModel(self.model)
        self.view.verticalHeader().setVisible(False)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.horizontalHeader().setSectionResizeMode(
            QHeaderView.ResizeMode.ResizeToContents)
        self.view.horizontalHeader().setStretchLastSection(True)
        self.note = QLabel()
        self.note.setWordWrap(True)
        self.note.setObjectName("fieldHint")
        self.problem = QLabel()
        self.problem.setObjectName("problemBox")
        self.problem.setWordWrap(True)
        self.problem.hide()
        self.installed_label = QLabel()
        self.installed_label.setObjectName("savedLabel")
        self.install_button = QPushButton("安装服务清单…")
        self.install_button.setObjectName("installList")
        self.install_button.setEnabled(may_install(role))
        if not may_install(role):
            self.install_button.setToolTip("只有管理员账户可以安装服务清单")
        self.install_button.clicked.connect(self.choose_and_install)
        close = QPushButton("关闭")
        close.clicked.connect(self.accept)
        buttons = QHBoxLayout()
        buttons.addWidget(self.installed_label, 1)
        buttons.addWidget(self.install_button)
        buttons.addWidget(close)
        layout = QVBoxLayout(self)
        layout.addWidget(self.note)
        layout.addWidget(self.view, 1)
        layout.addWidget(self.problem)
        layout.addLayout(buttons)
        self.refresh()

    def refresh(self) -> None:
        """Re-read the installed versions."""
        try:
            registry = load_app_lists(self.data_dir)
        except FormFileError as exc:
            self.model.set_versions([], [])
            self.problem.setText("已安装的清单无法读取：\n" + refusal_text(exc).split("\n", 1)[1])
            self.problem.show()
            return
        today = date.today()
        in_force = [v.ref for v in registry.in_force(today)]
        versions = [v for list_id in registry.list_ids() for v in registry.versions_of(list_id)]
        self.model.set_versions(versions, in_force)
        self.note.setText(
            f"共 {len(versions)} 个清单版本，今天（{today.isoformat()}）现行 {len(in_force)} 个。"
            f"安装的新版本保存在 {lists_dir(self.data_dir)}，旧版本保留，"
            "按评估日期选用当时有效的版本。")

    def _ask_path_dialog(self) -> Path | None:
        return open_file(self, "选择服务清单文件", "服务清单文件 (*.yaml *.yml)")

    def choose_and_install(self) -> None:
        """Ask for a file and install it."""
        path = self.ask_path()
        if path is not None:
            self.install(path)

    def install(self, path: Path) -> ServiceList | None:
        """Install one list file; a refusal is shown with file, item and reason."""
        self.installed_label.setText("")
        try:
            if self.installer is None:
                raise InputRejected([Problem("role", "forbidden", "只有管理员可以安装服务清单")])
            version = self.installer(path)
        except InputRejected as exc:
            self.problem.setText("清单文件未安装：" + "；".join(p.message for p in exc.problems))
            self.problem.show()
            return None
        except FormFileError as exc:
            self.problem.setText(refusal_text(exc))
            self.problem.show()
            return None
        except OSError as exc:
            self.problem.setText(f"清单文件无法读取或写入：{exc.strerror or exc}")
            self.problem.show()
            return None
        self.problem.hide()
        note = "（暂行）" if version.provisional else ""
        self.installed_label.setText(f"已安装：{version.title}{note} {version.ref}")
        self.refresh()
        self.installed.emit(version)
        return version
