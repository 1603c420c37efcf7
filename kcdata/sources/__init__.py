"""Where entities come from: the embedded snapshot, entity files, the live Wikidata API, the dump,
and Wikipedia articles.

Each source returns a :class:`~kcdata.sources.snapshot.Snapshot`: entity dicts that
:mod:`kcdata.facts` turns into facts (sample, files, API), or facts already made by the dump's
workers with the same parser.
"""
