"""The local database and what is drawn from it: the store, progress, the report, sessions and the
clinical angle."""
