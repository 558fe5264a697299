"""The gallery's files endpoint, measured as the gallery page's script asks it:
about the cards of the first page (the page itself never asks S3)."""

FILES = "/admin/videos/artifact/gallery/files/"


def first_page_cards() -> list[str]:
    """The ids of the gallery's first page of cards (Django side, for bench.fixtures)."""
    from videos.admin import GALLERY_PER_PAGE
    from videos.models import Artifact

    cards = Artifact.objects.for_cards().values_list("pk", flat=True)[:GALLERY_PER_PAGE]
    return [str(pk) for pk in cards]


def files_path(cards: list[str]) -> str:
    return FILES + "?" + "&".join(f"id={pk}" for pk in cards)
