"""Role names. A role is a Django group; every signed-in user is a requester."""

FINANCE = "finance"
LEGAL = "legal"
AUDITORS = "auditors"
WORKFLOW_OWNERS = "workflow-owners"
OPERATORS = "operators"
SECURITY = "security"  # grants and records system access (the access-request template)

ALL_ROLES = [FINANCE, LEGAL, AUDITORS, WORKFLOW_OWNERS, OPERATORS, SECURITY]
