"""Datasets: a file or folder of a repository that someone owns, shares, closes and derives from.

A path is where bytes are; a dataset is what a person means by them: a name, a type, an owner,
readers and writers, and a state.  An ``open`` dataset changes freely; closing it records a
manifest (every file with its size and SHA-256) after which this API changes none of its files
and ``verify`` reports any change made behind its back.  A ``derived`` dataset names the closed
parents it came from and the run that made it, so a chain of results can be reproduced.
"""
