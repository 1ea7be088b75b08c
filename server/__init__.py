"""The county server: receives laptops' changes (push or bundle), serves the township feed,
enrols devices and keeps the county's review queues. FastAPI over the Qt-free core."""
