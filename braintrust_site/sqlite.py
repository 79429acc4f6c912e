"""How the site opens its embedded SQLite database, so that several processes can write to it at once."""

BUSY_TIMEOUT_SECONDS = 20


def concurrent_writer_options() -> dict:
    """The ``OPTIONS`` of an SQLite ``DATABASES`` entry shared by the web server, the scoring worker and
    the SDK clients writing through them.

    * ``transaction_mode: IMMEDIATE``: every transaction takes the write lock when it begins. A deferred
      one (SQLite's default) that reads first and writes later must upgrade its lock, and when another
      writer holds it SQLite answers "database is locked" at once instead of waiting for the busy
      timeout, since waiting could deadlock.
    * ``journal_mode=WAL``: readers no longer block the writer, nor the writer them. The mode is stored
      in the database file, so setting it again on every connection is cheap; the row the pragma answers
      is discarded, and an in-memory database (the tests') keeps its own journal, which is harmless.
    * ``synchronous=NORMAL``: in WAL mode a commit no longer waits for the disk, and a power loss can lose
      only the last commits, never corrupt the database.
    * ``timeout``: how long a connection waits for the write lock before failing.

    Django itself turns ``PRAGMA foreign_keys`` on for every connection.
    """
    return {
        "timeout": BUSY_TIMEOUT_SECONDS,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
    }
