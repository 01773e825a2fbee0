"""Who did it: a user, or the system itself (sweeps, automated steps)."""

SYSTEM = "SYSTEM"


def actor_label(user) -> str:
    """The name shown in history for an actor: a username, or SYSTEM."""
    if user is None:
        return SYSTEM
    return user.get_username()
