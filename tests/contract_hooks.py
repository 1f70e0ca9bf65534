"""Generators for the client spec's JID formats (`jid`, `user-jid`, `recipient-jid`,
`room-id`), loaded by the contract test through `hooks` in tests/schemathesis.toml.

A JID pattern admits every character a JID may hold, but it cannot say everything Unicode
3.2 preparation refuses (unassigned code points, mixed directions), so values drawn from
the pattern alone would sometimes be refused with the field's documented `400`, and the
positive-data check would count that as a failure. These generators make only valid JIDs,
in several scripts, left-to-right or right-to-left, which the patterns still filter; the
negative phases keep drawing from the patterns.
"""

from hypothesis import strategies as st

import schemathesis

ASCII_LOCAL = "-!#$%()*+,.0123456789;?^_{|}~abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"

# Letters that Unicode 3.2 assigns and preparation keeps as they are (lower case, no
# compatibility forms), script by script.
LEFT_TO_RIGHT = [
    "àáâãäåæçèéêëìíîïñòóôõöøùúûüýþÿāăąćčďđēėęěğīıłńňőœřśşšťūůűźżž",
    "абвгдеёжзийклмнопрстуфхцчшщъыьэюя",
    "αβγδεζηθικλμνξοπρστυφχψω",
    "李王张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗",
    "가나다라마바사아자차카타파하한국어",
    "あいうえおかきくけこさしすせそアイウエオ",
    "कखगघचछजझटठडढणतथदधनपफबभमयरलवशसह",
]
RIGHT_TO_LEFT = [
    "ابتثجحخدذرزسشصضطظعغفقكلمنهوي",
    "אבגדהוזחטיכלמנסעפצקרשת",
]


def _local(max_size: int = 24) -> st.SearchStrategy[str]:
    """A localpart: ASCII and one left-to-right script mixed, or one right-to-left script
    alone (stringprep's bidi rule refuses a mix)."""
    ltr = st.sampled_from(LEFT_TO_RIGHT).flatmap(
        lambda script: st.text(alphabet=ASCII_LOCAL + script, min_size=1, max_size=max_size)
    )
    rtl = st.sampled_from(RIGHT_TO_LEFT).flatmap(
        lambda script: st.text(alphabet=script, min_size=1, max_size=max_size)
    )
    return st.one_of(ltr, ltr, rtl)


def _label() -> st.SearchStrategy[str]:
    ascii_label = st.from_regex(r"\A[a-z0-9]([a-z0-9-]{0,10}[a-z0-9])?\Z")
    idn_label = st.sampled_from(LEFT_TO_RIGHT).flatmap(lambda s: st.text(alphabet=s, min_size=1, max_size=10))
    return st.one_of(ascii_label, ascii_label, idn_label)


def _domain() -> st.SearchStrategy[str]:
    generated = st.lists(_label(), min_size=1, max_size=3).map(".".join)
    return st.one_of(st.just("localhost"), generated)


def _user() -> st.SearchStrategy[str]:
    return st.tuples(_local(), _domain()).map(lambda t: f"{t[0]}@{t[1]}")


def _resource() -> st.SearchStrategy[str]:
    return st.sampled_from(LEFT_TO_RIGHT).flatmap(
        lambda script: st.text(alphabet=ASCII_LOCAL + " @/:" + script, min_size=1, max_size=24)
    ).filter(lambda s: s.strip() == s)


schemathesis.openapi.format("jid", st.one_of(_user(), _domain()))
schemathesis.openapi.format("user-jid", _user())
schemathesis.openapi.format(
    "recipient-jid",
    st.one_of(_user(), st.tuples(_user(), _resource()).map(lambda t: f"{t[0]}/{t[1]}")),
)
schemathesis.openapi.format("room-id", _local().filter(lambda s: not s.startswith(".")))
