"""Printable documents (XLSX and PDF) made from the diary's data: reports and code sheets."""
