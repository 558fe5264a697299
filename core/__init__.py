"""The shared library every app uses: versioned (optimistic-locking) models and their admin,
bounded pagination, history pages, JSON form fields, input parsing, Server-Timing, the
database-unavailable answer and migration guards. It imports no app (see .importlinter).
"""
