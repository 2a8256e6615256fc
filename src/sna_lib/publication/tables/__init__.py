"""Published tables by section, each adding its cells to the one publication builder (see :mod:`sna_lib.publication.compute`)."""
