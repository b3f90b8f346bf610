"""Cutouts of sky surveys: surveys declared on the app, a footprint index of their tiles in the
SQL store, pixel-exact (native) cutouts read by section, and the SODA 1.0 real-time endpoint.

Layers, each usable without the ones above it: :mod:`.surveys` (what a survey is, who may use
it), :mod:`.footprints` (which tiles touch a region), :mod:`.native` (the cut itself),
:mod:`.params` (the request, declared once), :mod:`.render` (FITS and PNG answers) and
:mod:`.service` (the request from parameters to bytes).
"""
