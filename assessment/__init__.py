"""Yinling (银龄评估) core: the Qt-free domain layer shared by the desktop client and the server.

Nothing in this package imports Qt; the desktop client (`app`) and the county server
(`server`) are thin shells over it.
"""

__version__ = "0.1.0"
