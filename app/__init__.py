"""银龄评估 desktop client: a thin PySide6 shell over the Qt-free core in :mod:`assessment`.

Nothing here decides a grade, validates an answer or judges eligibility: those come from
``assessment``. The modules only show data, collect input and call the store through the
managers of :class:`assessment.records.workspace.Workspace`.
"""
