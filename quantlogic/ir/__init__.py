"""Intermediate representations: the and-inverter graph."""
