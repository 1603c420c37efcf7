"""Where entities come from: the embedded snapshot, entity files, the live Wikidata API, the dump.

Every source yields raw Wikibase entity dicts; ``kcdata.facts`` turns them into facts.
"""
