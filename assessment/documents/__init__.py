"""Printed and exported documents: the Appendix C certificate, its verifiable QR code,
statistics and their Excel export. Qt-free; the desktop client previews and prints the same
page layouts."""
