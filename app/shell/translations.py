"""Qt's own texts in Chinese: the standard buttons (确定, 取消), file and print dialogs, the
context menus of text fields.

Qt ships them as ``qtbase_zh_CN.qm`` in its translations folder (PySide6 carries it; a frozen
build finds it through Qt's library paths). The few texts that catalogue lacks (their source
strings changed in Qt 6) are in ``resources/translations/qt_gaps_zh_CN.qm``, compiled by
``lrelease`` from the ``.ts`` beside it and installed last, so that it is asked first and
answers only those.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

from assessment.paths import resources_dir

CATALOGUES = ("qtbase",)
GAPS_FILE = "qt_gaps_zh_CN.qm"
LOCALE = QLocale(QLocale.Language.Chinese, QLocale.Country.China)


def install_translations(app: QCoreApplication) -> list[QTranslator]:
    """Load Qt's zh_CN catalogues into ``app`` (kept alive as children of ``app``).

    Returns the translators installed; a catalogue that cannot be found is left out (Qt then
    shows its English text, nothing fails).
    """
    QLocale.setDefault(LOCALE)
    folder = QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath)
    installed: list[QTranslator] = []
    for name in CATALOGUES:
        translator = QTranslator(app)
        if translator.load(LOCALE, name, "_", folder) and app.installTranslator(translator):
            installed.append(translator)
        else:
            translator.deleteLater()
    gaps = QTranslator(app)
    if gaps.load(str(resources_dir() / "translations" / GAPS_FILE)) \
            and app.installTranslator(gaps):
        installed.append(gaps)
    else:
        gaps.deleteLater()
    return installed
