"""Role names. A role is a Django group; every signed-in user is a requester."""

FINANCE = "finance"
LEGAL = "legal"
AUDITORS = "auditors"
WORKFLOW_OWNERS = "workflow-owners"
OPERATORS = "operators"
SECURITY = "security"  # grants and records system access (the access-request template)
# Customer onboarding hands a customer from sales to compliance (KYC) to operations (activation).
SALES = "sales"
COMPLIANCE = "compliance"
OPERATIONS = "operations"
# HR requests: HR decides leave, personal data changes and letters; payroll answers pay questions.
HR = "hr"
PAYROLL = "payroll"
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
    SECURITY,
    SALES,
    COMPLIANCE,
    OPERATIONS,
    HR,
    PAYROLL,
    SERVICE_DESK,
    IT_SUPPORT,
    POLICY_OWNERS,
    RISK_COMPLIANCE,
]
