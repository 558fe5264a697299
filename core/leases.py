"""What a row under a lease (a claim that runs out) says of itself: the
review queue's reports and QA's samples both carry `claimed_by` and
`claim_expires_at`, and ask the same three questions."""


class LeasedRow:
    """A model mixin for rows with `claimed_by` and `claim_expires_at`."""

    def claim_is_live(self, now) -> bool:
        """Someone holds the row: claimed, and the lease not yet run out."""
        return (
            self.claimed_by_id is not None
            and self.claim_expires_at is not None
            and self.claim_expires_at > now
        )

    def held_by(self, user, now) -> bool:
        return self.claim_is_live(now) and self.claimed_by_id == user.pk

    def held_by_other(self, user, now) -> bool:
        return self.claim_is_live(now) and self.claimed_by_id != user.pk
