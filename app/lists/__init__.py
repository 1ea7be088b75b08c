"""Service lists (服务清单): eligibility panel and models, list installs, township rosters."""
