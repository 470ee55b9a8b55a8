"""The Mini App's launch-data check, against a published example and our own signed cases."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from urllib.parse import quote, urlencode

import pytest

from web.initdata import InitDataError, sign, validate

TOKEN = "123456:test-token"
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
DAY = 24 * 3600


def signed(fields: dict[str, str], token: str = TOKEN, *, order: list[str] | None = None) -> str:
    """Launch data as Telegram sends it: every field URL-encoded, the hash beside them."""
    all_fields = {**fields, "hash": sign(fields, token)}
    keys = order or list(all_fields)
    return "&".join(f"{k}={quote(all_fields[k], safe='')}" for k in keys)


def user(**extra: object) -> str:
    return json.dumps({"id": 1001, "first_name": "Alice", **extra}, ensure_ascii=False)


def base(**extra: str) -> dict[str, str]:
    return {"auth_date": str(int(NOW.timestamp()) - 60), "user": user(), **extra}


def check(raw: str, token: str = TOKEN, max_age: int = DAY, now: datetime = NOW) -> int:
    return validate(raw, token, max_age=max_age, now=now).user_id


def test_the_published_example_validates() -> None:
    # The example of the Telegram Mini Apps documentation (docs.telegram-mini-apps.com,
    # "Validating"): signed long ago, so checked at its own signing time.
    raw = (
        "query_id=AAHdF6IQAAAAAN0XohDhrOrc"
        "&user=%7B%22id%22%3A279058397%2C%22first_name%22%3A%22Vladislav%22%2C%22last_name%22"
        "%3A%22Kibenko%22%2C%22username%22%3A%22vdkfrost%22%2C%22language_code%22%3A%22ru%22"
        "%2C%22is_premium%22%3Atrue%7D"
        "&auth_date=1662771648"
        "&hash=c501b71e775f74ce10e377dea85a7ea24ecd640b223ea86dfe453e0eaed2e2b2"
    )
    token = "5768337691:AAH5YkoiEuPk8-FZa32hStHTqXiLPtAEhx8"
    when = datetime.fromtimestamp(1662771648 + 10, UTC)
    data = validate(raw, token, max_age=DAY, now=when)
    assert data.user_id == 279058397
    assert data.first_name == "Vladislav"
    with pytest.raises(InitDataError, match="signature"):
        validate(raw.replace("Vladislav", "Vladislaw"), token, max_age=DAY, now=when)
    with pytest.raises(InitDataError, match="expired"):
        validate(raw, token, max_age=DAY, now=NOW)


@pytest.mark.parametrize(
    "name",
    ["Tom & Jerry", "100% sure", "a=b&c=d", "Zoë 🚀 O'Brien", 'The "Boss"', "x\ny", "+ plus"],
)
def test_names_with_awkward_characters(name: str) -> None:
    fields = base(user=user(first_name=name, last_name="=&%"))
    data = validate(signed(fields), TOKEN, max_age=DAY, now=NOW)
    assert data.first_name == name


def test_new_and_optional_fields_are_signed_as_sent() -> None:
    with_photo = base(
        user=user(photo_url="https://t.me/i/userpic/320/x.svg"),
        signature="abc-def_123",
        chat_instance="-42",
        start_param="x",
    )
    assert check(signed(with_photo)) == 1001
    no_query_id = base()
    assert "query_id" not in no_query_id
    assert check(signed(no_query_id)) == 1001
    reordered = base(query_id="AAH")
    assert check(signed(reordered, order=["hash", "user", "query_id", "auth_date"])) == 1001


def test_a_field_added_after_signing_is_refused() -> None:
    raw = signed(base()) + "&extra=1"
    with pytest.raises(InitDataError, match="signature"):
        check(raw)


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "no launch data"),
        ("user=%7B%7D&auth_date=1", "not signed"),
        ("a=1&a=2&hash=00", "can't be read"),
        ("%%%", "can't be read"),
        ("x" * 9000, "no launch data"),
    ],
)
def test_unreadable_or_unsigned(raw: str, reason: str) -> None:
    with pytest.raises(InitDataError, match=reason):
        check(raw)


def test_tampered_wrong_token_missing_hash() -> None:
    raw = signed(base())
    with pytest.raises(InitDataError, match="signature"):
        check(raw.replace("Alice", "Alicf"))
    with pytest.raises(InitDataError, match="signature"):
        check(raw, token="123456:other-token")
    without_hash = "&".join(p for p in raw.split("&") if not p.startswith("hash="))
    with pytest.raises(InitDataError, match="not signed"):
        check(without_hash)
    upper = raw.replace(raw.split("hash=")[1], raw.split("hash=")[1].upper())
    with pytest.raises(InitDataError, match="signature"):
        check(upper)


def test_age_limits() -> None:
    stamp = int(NOW.timestamp())
    assert check(signed(base(auth_date=str(stamp - DAY)))) == 1001
    with pytest.raises(InitDataError, match="expired"):
        check(signed(base(auth_date=str(stamp - DAY - 1))))
    with pytest.raises(InitDataError, match="expired"):
        check(signed(base(auth_date=str(stamp - 3601))), max_age=3600)
    assert check(signed(base(auth_date=str(stamp + 30)))) == 1001  # a little clock skew
    with pytest.raises(InitDataError, match="future"):
        check(signed(base(auth_date=str(stamp + 3600))))
    for bad in ("", "soon", "１２３", "-5"):
        with pytest.raises(InitDataError, match="date"):
            check(signed(base(auth_date=bad)))


@pytest.mark.parametrize(
    "value", [None, "not json", "[]", '{"id": "1001"}', '{"id": true}', '{"first_name": "A"}']
)
def test_a_signed_user_must_have_a_numeric_id(value: str | None) -> None:
    fields = base()
    if value is None:
        del fields["user"]
    else:
        fields["user"] = value
    with pytest.raises(InitDataError, match="no user"):
        check(signed(fields))


def test_plus_in_a_value_is_a_space_as_in_any_query_string() -> None:
    # Telegram percent-encodes; a raw "+" in transit is a space, the form decoding browsers use.
    fields = base(user=user(first_name="A B"))
    raw = urlencode({**fields, "hash": sign(fields, TOKEN)})
    assert "+" in raw
    assert check(raw) == 1001
