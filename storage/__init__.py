"""Tables, the database engine and sessions, migrations, and every operation that writes.

Only this package writes SQL; handlers and the console call its operations. It may
import `content` (types only), never `handlers` or `bot`.
"""
