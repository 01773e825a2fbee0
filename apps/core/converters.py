"""URL converters shared by every app's urls.py (registered in CoreConfig.ready)."""

MAX_ID = 2**63 - 1  # the largest value of a bigint column (PostgreSQL and SQLite alike)


class IdConverter:
    """`<id:name>`: a database id, 1 to 2**63-1. Anything larger is no match (404), never an
    overflow in the database driver (500)."""

    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 1 <= number <= MAX_ID:
            raise ValueError(f"{value} is not a database id")  # Django answers 404
        return number

    def to_url(self, value) -> str:
        return str(value)
