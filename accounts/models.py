# Each part of accounts keeps its models in a module of its own.
from accounts.lockout_models import Unlock, UnlockRule  # noqa: F401
from accounts.sessions_models import SessionsEnded  # noqa: F401
