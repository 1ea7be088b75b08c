"""The elder register (花名册): the elder list model and its page."""
