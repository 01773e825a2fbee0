"""Role names. A role is a Django group; every signed-in user is a requester."""

FINANCE = "finance"
LEGAL = "legal"
AUDITORS = "auditors"
WORKFLOW_OWNERS = "workflow-owners"
OPERATORS = "operators"
# IT service requests: the service desk triages, IT support resolves.
SERVICE_DESK = "service-desk"
IT_SUPPORT = "it-support"
# Policy exceptions: the owner of the policy and risk & compliance approve by risk.
POLICY_OWNERS = "policy-owners"
RISK_COMPLIANCE = "risk-compliance"

ALL_ROLES = [
    FINANCE,
    LEGAL,
    AUDITORS,
    WORKFLOW_OWNERS,
    OPERATORS,
    SERVICE_DESK,
    IT_SUPPORT,
    POLICY_OWNERS,
    RISK_COMPLIANCE,
]
