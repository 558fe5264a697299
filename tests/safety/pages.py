"""The review queue's addresses, and a small reader for the HTML its pages render."""

import re

from django.test.html import Element, parse_html

QUEUE_URL = "/admin/safety/reviewqueueitem/"
ENDPOINTS = ["claim", "renew", "release", "takeover", "decide"]


def review_url(report) -> str:
    return f"{QUEUE_URL}{report.pk}/review/"


def endpoint_url(report, name: str) -> str:
    return f"{QUEUE_URL}{report.pk}/{name}/"


def next_url() -> str:
    return f"{QUEUE_URL}next/"


def html(response) -> Element:
    return parse_html(response.content.decode())


_SIMPLE = re.compile(r"^(?P<tag>[\w-]*)(?P<rest>(?:[#.][\w-]+|\[[\w.-]+\])*)$")
_PART = re.compile(r"([#.])([\w-]+)|\[([\w.-]+)\]")


def _matches(element: Element, simple: str) -> bool:
    found = _SIMPLE.match(simple)
    if not found:
        raise ValueError(f"unsupported selector {simple!r}")
    if found["tag"] and element.name != found["tag"]:
        return False
    attributes = dict(element.attributes)
    for mark, name, attribute in _PART.findall(found["rest"]):
        if mark == "#" and attributes.get("id") != name:
            return False
        if mark == "." and name not in (attributes.get("class") or "").split():
            return False
        if attribute and attribute not in attributes:
            return False
    return True


def _descendants(element: Element):
    for child in element.children:
        if isinstance(child, Element):
            yield child
            yield from _descendants(child)


def select(root: Element, selector: str) -> list[Element]:
    """Elements matching a CSS selector of tags, #ids, .classes and [attributes],
    with descendant combinators (spaces): enough for these tests, nothing more."""
    found = [root]
    for simple in selector.split():
        found = list(
            {id(e): e for base in found for e in _descendants(base) if _matches(e, simple)}.values()
        )
    return found


def select_one(root: Element, selector: str) -> Element:
    found = select(root, selector)
    assert len(found) == 1, f"{len(found)} elements match {selector!r}"
    return found[0]


def text(element: Element | str) -> str:
    """The element's text, whitespace collapsed, as a person reads it."""
    if isinstance(element, str):
        return element
    return " ".join(" ".join(text(child) for child in element.children).split())


def attribute(element: Element, name: str) -> str | None:
    return dict(element.attributes).get(name)
