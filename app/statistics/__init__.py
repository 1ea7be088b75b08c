"""Statistics (统计报表): the statistics window."""
