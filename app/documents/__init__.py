"""Certificates and documents: printing, batch printing and the 文档 menu."""
