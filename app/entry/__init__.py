"""Assessment entry: the form generated from the form data, the items, the live result."""
