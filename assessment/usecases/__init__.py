"""One pipeline per job, called by both the desktop app and the ``yinling`` command.

Each module runs one job from start to end over the core (store, documents, sync, lists) and
reports progress and honours 取消 through the Qt-free types of :mod:`.progress`; the app runs
the same function on its background helper and the command line in the foreground, so the
steps, the rules and the audit entries are the same whichever face started the job.

``sync_now`` (push, pull, announced lists), ``certificates`` (one or a batch, reprint rule,
audit), ``rosters`` (乡镇服务名单 over the whole registry), ``statistics`` (the statistics
tables and their Excel export) and ``visits`` (探访关爱: the plan per village, its sheets, the
monthly visit rate).
"""
