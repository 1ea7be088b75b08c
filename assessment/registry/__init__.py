"""The elder registry over time (issue 13): who is on the roll on a date, deregistration and
restoration, merges of duplicates, civil-affairs rosters with provenance, and exports.

* :mod:`~assessment.registry.status`: the lifecycle record of an elder (the ``elder_status``
  change type) and the one predicate of who counts on a date, :func:`active_on`.
* :mod:`~assessment.registry.duplicates`: candidates for "the same person" (name pinyin and
  birth date, 15/18-digit forms of one ID number).
* :mod:`~assessment.registry.officefiles`: reading an office's roster file (CSV in UTF-8 or GBK,
  XLSX) into checked rows, refusing bad rows with their row number and field.
* :mod:`~assessment.registry.plan`: what an import changes (the one pipeline behind the
  laptop's and the county's import), with the summary the CLI prints.
* :mod:`~assessment.registry.export`: the registry export's columns.
"""
