"""The placeholders automated steps' templates hold (HTTP requests, UI scripts): one pattern for
the validator, the diagram and the runners."""

import re

# {{field.amount}}, {{secret.ERP_TOKEN}}, {{endpoint.ERP}}, {{case.id}}, {{step.idempotency_key}}
PLACEHOLDER = re.compile(r"\{\{\s*([a-z_]+)\.([A-Za-z0-9_]+)\s*\}\}")
PLACEHOLDER_NAMES = {"case": ["id", "workflow", "version"], "step": ["key", "idempotency_key"]}
