"""The sync engine: pure domain logic for push, pull and merge. No Flask imports."""
