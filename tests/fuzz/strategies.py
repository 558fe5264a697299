"""What the fuzz suites send: generated values mixed with the hostile ones
people and programs have sent us (huge and negative numbers, NUL, NaN and
Infinity in JSON, deep JSON, long text, bad UUIDs and dates, emoji and RTL,
HTML and script), each known to have broken some page once."""

import json
import uuid

from hypothesis import strategies as st

# Injected markup: a page that shows one of these unescaped runs the script.
SCRIPT = "<script>fz()</script>"
IMG = '<img src=x onerror="fz()">'
INJECTED = ("<script>fz()", "<img src=x onerror")

HOSTILE_TEXT = [
    "",
    " ",
    "\x00",
    "a\x00b",
    SCRIPT,
    IMG,
    '"><script>fz()</script>',
    "9" * 400,
    "-1",
    "0",
    "2147483648",
    "-2147483649",
    "9223372036854775808",
    "1e999",
    "NaN",
    "Infinity",
    "-Infinity",
    "²",
    "٣",
    "not-a-uuid",
    "00000000-0000-0000-0000-000000000000",
    "0001-01-01T00:30:00+14:00",
    "9999-12-31T23:00:00-14:00",
    "2026-02-30",
    "notadate",
    "../../x",
    "'; DROP TABLE videos; --",
    "%00",
    "\u202eevil\u202c",
    "😀" * 50,
    "\ufeff",
    "a" * 10_000,
]

HOSTILE_JSON = [
    '{"a": NaN}',
    '{"a": Infinity}',
    '{"x": 1e999}',
    '{"x": -1e999}',
    '{"n": ' + "9" * 400 + "}",
    '{"n": ' + "9" * 5000 + "}",
    "[" * 100_000 + "]" * 100_000,
    '{"a": ' * 1000 + "1" + "}" * 1000,
    '{"a": "\\u0000"}',
    '{"\\u0000": 1}',
    '{"a": "\\ud800"}',
    "[1, 2",
    "null",
    "[]",
    "{}",
    '"just text"',
    "12",
    json.dumps({"voice": SCRIPT}),
    json.dumps([{"category": SCRIPT, "severity": IMG}]),
    json.dumps([{"category": "spam", "severity": ["high"]}]),
    json.dumps([{"category": "c", "severity": "low", "evidence": {"start": 10**400}}]),
]


def hostile_text(max_size: int = 200) -> st.SearchStrategy[str]:
    return st.one_of(st.sampled_from(HOSTILE_TEXT), st.text(max_size=max_size))


def ids(real=()) -> st.SearchStrategy[str]:
    """A key as a form or URL carries it: a real one, a random UUID, or junk."""
    choices = [st.builds(lambda: str(uuid.uuid4())), hostile_text(40)]
    if real:
        choices.insert(0, st.sampled_from([str(pk) for pk in real]))
    return st.one_of(*choices)


def integers_as_text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.integers(min_value=-(2**70), max_value=2**70).map(str),
        st.sampled_from(["", "²", "٣", "1.5", "1e3", " 1", "0x10", "9" * 400, "-0"]),
    )


# JSON the pipeline could store (Postgres jsonb takes any of it): nested values
# of every type, big numbers, long and hostile strings.
json_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.sampled_from([10**400, -(10**400), 2**63, -1, 0]),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(HOSTILE_TEXT).filter(lambda text: "\x00" not in text),
    st.text(max_size=50).filter(lambda text: "\x00" not in text),
)
json_values = st.recursive(
    json_scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(
            st.text(max_size=10).filter(lambda k: "\x00" not in k), children, max_size=4
        ),
    ),
    max_leaves=12,
)


def hostile_json() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(HOSTILE_JSON),
        json_values.map(lambda value: json.dumps(value, ensure_ascii=False)),
    )


def _issue_like():
    time = st.one_of(json_scalars, st.floats(min_value=0, max_value=600))
    evidence = st.one_of(
        json_values,
        st.fixed_dictionaries(
            {},
            optional={
                "artifact": st.one_of(st.sampled_from(["render", "script", "audio"]), json_values),
                "start": time,
                "end": time,
                "excerpt": json_values,
                "frame": json_values,
            },
        ),
    )
    return st.fixed_dictionaries(
        {},
        optional={
            "category": st.one_of(st.sampled_from(["violence", "hate", "spam"]), json_values),
            "severity": st.one_of(
                st.sampled_from(["low", "medium", "high", "critical", "HIGH", "extreme"]),
                json_values,
            ),
            "message": json_values,
            "evidence": evidence,
            "detector": json_values,
        },
    )


# A report's `issues` of any shape: mostly issue-like objects, sometimes anything.
issues_documents = st.one_of(
    st.lists(st.one_of(_issue_like(), json_values), max_size=5),
    json_values,
)
