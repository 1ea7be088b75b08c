"""The client's style sheet (kept in Python so that a frozen build needs no extra file)."""

STYLE_SHEET = """
QWidget { color: #1f2328; }
QMainWindow, #signInWindow { background: #f4f6f8; }
#signInCard { background: white; border: 1px solid #d0d7de; border-radius: 10px;
              min-width: 380px; padding: 22px; }
#appTitle { font-size: 26px; font-weight: bold; color: #1f5f99; }
#appSubtitle { color: #57606a; font-size: 13px; }
#demoHint { background: #eef6ff; border: 1px solid #b6d4fe; border-radius: 6px; padding: 8px;
            color: #0b4f8a; }
#versionLabel { color: #8c959f; }
QPushButton { padding: 5px 14px; border: 1px solid #afb8c1; border-radius: 5px;
              background: #f6f8fa; }
QPushButton:hover { background: #eaeef2; }
QPushButton:disabled { color: #8c959f; background: #f6f8fa; }
QPushButton:default, #signInButton, #finalizeButton, #newAssessment {
    background: #1f6feb; color: white; border-color: #1a5fcc; font-weight: bold; }
QPushButton:default:disabled, #finalizeButton:disabled { background: #9fbff0; color: #eef3fb; }
QLineEdit, QComboBox, QSpinBox { padding: 3px 5px; border: 1px solid #afb8c1;
                                 border-radius: 4px; background: white; }
QLineEdit:focus, QComboBox:focus { border: 2px solid #1f6feb; }
QLineEdit:read-only { background: #f6f8fa; }
#fieldProblem { color: #b42318; }
#fieldHint { color: #57606a; }
#groupHeading { font-weight: bold; color: #1f5f99; margin-top: 6px; }
FieldRow[missing="true"] { background: #fff8e1; border-left: 3px solid #e3a008; }
FieldRow[problem="true"] { background: #fdecea; border-left: 3px solid #b42318; }
QGroupBox { font-weight: bold; border: 1px solid #d0d7de; border-radius: 6px;
            margin-top: 14px; padding-top: 8px; background: white; }
QGroupBox::title { subcontrol-origin: margin; left: 10px; padding: 0 4px; color: #1f5f99; }
#pageHeading { font-size: 18px; font-weight: bold; }
#pageTitle { font-size: 15px; font-weight: bold; color: #1f5f99; padding: 4px 0; }
#keyboardHelp { color: #57606a; font-size: 12px; padding-bottom: 2px; }
#unansweredButton { padding: 4px 6px; text-align: left; }
#unansweredButton::menu-indicator { image: none; width: 0; }
#elderSummary { color: #424a53; padding: 2px 4px 6px 4px; }
#banner { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 5px; padding: 6px; }
#banner[kind="finalized"] { background: #dafbe1; border-color: #4ac26b; }
#banner[kind="superseded"] { background: #eaeef2; border-color: #afb8c1; }
#draftsNotice { background: #eef6ff; border-bottom: 1px solid #b6d4fe; padding: 6px 10px;
                color: #0b4f8a; }
#filesNotice { background: #fff4e5; border-bottom: 1px solid #e0b070; padding: 6px 10px;
               color: #7a3e00; }
#emptyHint { color: #57606a; padding: 8px; }
#formNav { background: white; border: 1px solid #d0d7de; font-size: 13px; }
#formNav::item { padding: 6px 4px; }
#formNav::item:selected { background: #ddf4ff; color: #0b4f8a; }
#itemWidget { background: white; border: 1px solid #d0d7de; border-radius: 6px; }
#itemWidget[answered="false"] { border-left: 4px solid #e3a008; }
#itemWidget[answered="true"] { border-left: 4px solid #4ac26b; }
#itemWidget[focused="true"] { border: 2px solid #1f6feb; background: #f5f9ff; }
#itemWidget[problem="true"] { border: 2px solid #b42318; }
#itemNote { color: #6e4a00; }
#itemFootnote { color: #57606a; font-size: 12px; }
#itemStatus { color: #57606a; font-size: 12px; }
#optionRow { border-radius: 4px; }
#optionRow:hover { background: #f0f6ff; }
#optionRow[selected="true"] { background: #dbeafe; border: 1px solid #1f6feb; }
QLabel#optionText[selected="true"] { font-weight: bold; }
#keyHint { min-width: 34px; max-width: 60px; border: 1px solid #afb8c1; border-radius: 4px;
           background: #f6f8fa; color: #424a53; font-family: monospace; }
#resultPanel { background: white; border: 1px solid #d0d7de; border-radius: 8px; }
#panelScroll, #panelDetails { background: white; }
#panelSummary { font-weight: bold; }
#panelTitle { font-size: 16px; font-weight: bold; }
#panelCaption { font-weight: bold; color: #1f5f99; margin-top: 6px; }
#progressLabel { color: #57606a; }
#totalLabel { font-weight: bold; }
#finalGrade { font-size: 17px; font-weight: bold; padding: 6px; border-radius: 5px;
              background: #eaeef2; }
#finalGrade[grade="0"] { background: #dafbe1; color: #116329; }
#finalGrade[grade="1"] { background: #fff8c5; color: #6e4a00; }
#finalGrade[grade="2"] { background: #ffe7cc; color: #8a4600; }
#finalGrade[grade="3"] { background: #ffd8d3; color: #9a1c12; }
#finalGrade[grade="4"] { background: #b42318; color: white; }
#warningBox { background: #fff8c5; border: 1px solid #d4a72c; border-radius: 5px;
              padding: 6px; color: #6e4a00; }
#problemBox { background: #fdecea; border: 1px solid #e5534b; border-radius: 5px;
              padding: 6px; color: #8e1b12; }
#savedLabel { color: #57606a; font-size: 12px; }
QTableView { background: white; alternate-background-color: #f6f8fa;
             selection-background-color: #ddf4ff; selection-color: #1f2328;
             gridline-color: #eaeef2; }
QHeaderView::section { background: #f6f8fa; border: none; border-bottom: 1px solid #d0d7de;
                       padding: 4px 6px; font-weight: bold; }
QToolBar { background: white; border-bottom: 1px solid #d0d7de; spacing: 6px; padding: 3px; }
QToolBar QToolButton { padding: 4px 10px; }
QToolBar QToolButton:disabled { color: #a0a7ae; }
QStatusBar { background: white; border-top: 1px solid #d0d7de; }
"""
