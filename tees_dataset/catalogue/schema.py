"""The catalogue's JSON Schema, exported from the models so editors validate indicators.yaml."""

from __future__ import annotations

import json

from tees_dataset.catalogue.models import Catalogue


def catalogue_schema_text() -> str:
    schema = Catalogue.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    schema["title"] = "tees-dataset catalogue (indicators.yaml)"
    return json.dumps(schema, indent=2, sort_keys=True) + "\n"
