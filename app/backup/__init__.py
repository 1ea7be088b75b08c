"""备份与恢复: the backup menu, the restore dialog, the daily copy and the reminder."""
