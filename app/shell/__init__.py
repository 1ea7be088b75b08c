"""The application shell: start-up, sign-in, the main window, locking, settings and style."""
