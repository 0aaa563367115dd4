"""Known-material triage: readers yield files from evidence, hashers hash them, matchers compare
them with hash sets. No picture is ever shown."""
