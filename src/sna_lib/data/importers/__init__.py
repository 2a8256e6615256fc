"""Importers: turn files a user downloads into a data folder in the contract (``data/README.md``).

``police_uk`` is the open-data importer (``sna import police-uk``); the small modules beside
it read one kind of source each (street files, boundaries, lookups, population, census, IMD).
"""
