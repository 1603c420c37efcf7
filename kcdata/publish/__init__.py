"""Publish a built dataset: dataset card, Hugging Face Hub push, releases, harness exports.

* ``card``: render the dataset card (``templates/cards/dataset_card.md.j2``) and check its YAML
  header against the Hub's metadata rules.
* ``hub``: push a built folder to the Hub in one commit (token from the environment or login cache).
* ``release``: record ``releases/NAME/VERSION/`` and rebuild it with identical hashes.
* ``export``: lm-evaluation-harness task YAML files pointing at the Hub dataset.
"""
