"""Exporters: each turns a circuit into the text or bytes of one file format."""
