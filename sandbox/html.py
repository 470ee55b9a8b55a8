"""Telegram's text-formatting parsers, ported from tdlib.

The Bot API server hands ``parse_mode`` text to tdlib (``td/telegram/MessageEntity.cpp``:
``parse_html``, ``parse_markdown_v2``, ``parse_markdown``).  These functions follow that code
closely, so a bot that passes here passes on Telegram, and the ``reason`` of an
:class:`EntityParseError` is what Telegram puts after "Bad Request: can't parse entities: ".

Offsets and lengths of the returned entities are in UTF-16 code units, like the Bot API's.

One deliberate difference: tdlib silently keeps an unsupported *named* entity such as ``&nbsp;``
as literal text, which users then see verbatim - nearly always a bug in the bot (it came from
an HTML template or a rich-text editor).  With ``strict_entities=True`` (the default) the double
rejects it instead.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "EntityParseError",
    "UnsupportedParseModeError",
    "parse_entities",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "utf16_len",
]

Entity = dict[str, Any]


class EntityParseError(ValueError):
    """The text is not valid for its ``parse_mode``; ``reason`` is Telegram's wording."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class UnsupportedParseModeError(ValueError):
    """``parse_mode`` is not one of HTML, MarkdownV2, Markdown."""


def utf16_len(text: str) -> int:
    """Length of ``text`` in UTF-16 code units, the unit of Telegram's limits and offsets."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def _units(ch: str) -> int:
    return 2 if ord(ch) > 0xFFFF else 1


def _byte_offset(text: str, index: int) -> int:
    return len(text[:index].encode("utf-8", "surrogatepass"))


# tdlib's is_space(): the characters that end a tag name or separate attributes.
_SPACES = frozenset(" \t\r\n\0\x0b")
_HEX = frozenset("0123456789abcdefABCDEF")
_DIGITS = frozenset("0123456789")
_ALPHA = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
_NAME_TOKEN = _ALPHA | _DIGITS | frozenset(".-")
_NAMED_ENTITIES = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}

# tdlib's MessageEntity::get_type_priority, used to order entities that start together.
_PRIORITY = {
    "blockquote": 0,
    "expandable_blockquote": 0,
    "pre": 11,
    "code": 20,
    "text_link": 49,
    "text_mention": 49,
    "bold": 90,
    "italic": 91,
    "underline": 92,
    "strikethrough": 93,
    "spoiler": 94,
    "custom_emoji": 99,
}

_HTML_TAGS = frozenset(
    {
        "a",
        "b",
        "strong",
        "i",
        "em",
        "s",
        "strike",
        "del",
        "u",
        "ins",
        "tg-spoiler",
        "tg-emoji",
        "span",
        "pre",
        "code",
        "blockquote",
    }
)
_SIMPLE_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "u": "underline",
    "ins": "underline",
    "tg-spoiler": "spoiler",
}

_USER_LINK = re.compile(r"^tg:(?://)?user\?id=(\d+)$", re.IGNORECASE)
_EMOJI_LINK = re.compile(r"^tg://emoji\?id=(\d+)$", re.IGNORECASE)
_SCHEME = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*):")


def _sorted(entities: list[Entity]) -> list[Entity]:
    return sorted(
        entities, key=lambda e: (e["offset"], -e["length"], _PRIORITY.get(e["type"], 50))
    )


def _link_entity(url: str, offset: int, length: int) -> Entity | None:
    """A text_link / text_mention entity for ``url``, or None when Telegram would drop it."""
    user = _USER_LINK.match(url.strip())
    if user:
        user_obj = {"id": int(user.group(1)), "is_bot": False, "first_name": ""}
        return {"type": "text_mention", "offset": offset, "length": length, "user": user_obj}
    checked = _checked_link(url)
    if checked is None:
        return None
    return {"type": "text_link", "offset": offset, "length": length, "url": checked}


def _checked_link(url: str) -> str | None:
    """A loose version of tdlib's LinkManager::get_checked_link: None means "not a link"."""
    url = url.strip()
    if not url or any(ch.isspace() for ch in url):
        return None
    scheme = _SCHEME.match(url)
    if scheme is None:
        # tdlib accepts a bare domain and adds http://
        host = url.split("/", 1)[0]
        if "." not in host or host.startswith(".") or host.endswith("."):
            return None
        return "http://" + url
    name = scheme.group(1).lower()
    if name in ("http", "https"):
        return url if urlsplit(url).hostname else None
    if name in ("tg", "ton", "ftp"):
        return url
    return None


# --------------------------------------------------------------------------------------- HTML


def _decode_html_entity(text: str, pos: int) -> tuple[str, int] | None:
    """tdlib's decode_html_entity: the decoded character and the position after the entity."""
    n = len(text)

    def at(i: int) -> str:
        return text[i] if i < n else "\0"

    end = pos + 1
    if at(pos + 1) == "#":
        end += 1
        code = 0
        if at(pos + 2) == "x":
            end += 1
            while at(end) in _HEX:
                code = code * 16 + int(text[end], 16)
                end += 1
        else:
            while at(end) in _DIGITS:
                code = code * 10 + int(text[end])
                end += 1
        if code == 0 or code >= 0x10FFFF or end - pos >= 10:
            return None
        char = chr(code)
    else:
        while at(end) in _ALPHA:
            end += 1
        named = _NAMED_ENTITIES.get(text[pos + 1 : end])
        if named is None:
            return None
        char = named
    if at(end) == ";":
        end += 1
    return char, end


def parse_html(text: str, *, strict_entities: bool = True) -> tuple[str, list[Entity]]:
    """Telegram's ``parse_mode="HTML"``: returns the plain text and its entities."""
    n = len(text)

    def at(i: int) -> str:
        return text[i] if i < n else "\0"

    def err(reason: str) -> EntityParseError:
        return EntityParseError(reason)

    out: list[str] = []
    entities: list[Entity] = []
    # stack of (tag name, argument, utf16 offset, index into `out`)
    nested: list[tuple[str, str, int, int]] = []
    utf16 = 0
    had_surrogate = False
    i = 0
    while i < n:
        c = text[i]
        if c == "&":
            decoded = _decode_html_entity(text, i)
            if decoded is not None:
                char, i = decoded
                had_surrogate |= 0xD800 <= ord(char) <= 0xDFFF
                out.append(char)
                utf16 += _units(char)
                continue
            if strict_entities:
                named = re.match(r"&([A-Za-z][A-Za-z0-9]*);", text[i:])
                if named:
                    raise err(
                        f'Unsupported HTML entity "{named.group(0)}" at byte offset '
                        f"{_byte_offset(text, i)}; only &lt; &gt; &amp; &quot; and numeric "
                        "entities are supported (Telegram would show it verbatim)"
                    )
        if c != "<":
            out.append(c)
            utf16 += _units(c)
            i += 1
            continue

        begin = i
        i += 1
        if at(i) != "/":
            # start tag
            while at(i) not in _SPACES and at(i) != ">":
                i += 1
            if i >= n:
                raise err(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
            tag = text[begin + 1 : i].lower()
            if tag not in _HTML_TAGS:
                raise err(
                    f'Unsupported start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                )
            argument = ""
            while at(i) != ">":
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) == ">":
                    break
                attr_begin = i
                while at(i) not in _SPACES and at(i) != "=" and at(i) != ">":
                    i += 1
                attr = text[attr_begin:i]
                if not attr:
                    raise err(
                        f'Empty attribute name in the tag "{tag}" at byte offset '
                        f"{_byte_offset(text, begin)}"
                    )
                while i < n and at(i) in _SPACES:
                    i += 1
                if at(i) != "=":
                    if tag == "blockquote" and attr.lower() == "expandable":
                        argument = "expandable"
                        continue
                    raise err(
                        "Expected equal sign in declaration of an attribute of the tag "
                        f'"{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                i += 1
                while i < n and at(i) in _SPACES:
                    i += 1
                if i >= n:
                    raise err(
                        f'Unclosed start tag "{tag}" at byte offset {_byte_offset(text, begin)}'
                    )
                if at(i) not in ("'", '"'):
                    token_begin = i
                    while at(i) in _NAME_TOKEN:
                        i += 1
                    value = text[token_begin:i].lower()
                    if at(i) not in _SPACES and at(i) != ">":
                        raise err(
                            "Unexpected end of name token at byte offset "
                            f"{_byte_offset(text, token_begin)}"
                        )
                else:
                    quote = text[i]
                    i += 1
                    chars: list[str] = []
                    while i < n and text[i] != quote:
                        if text[i] == "&":
                            decoded = _decode_html_entity(text, i)
                            if decoded is not None:
                                chars.append(decoded[0])
                                i = decoded[1]
                                continue
                        chars.append(text[i])
                        i += 1
                    if at(i) == quote:
                        i += 1
                    value = "".join(chars)
                if i >= n:
                    raise err(f"Unclosed start tag at byte offset {_byte_offset(text, begin)}")
                if tag == "a" and attr == "href":
                    argument = value
                elif tag == "code" and attr == "class" and value.startswith("language-"):
                    argument = value[len("language-") :]
                elif tag == "span" and attr == "class" and value.startswith("tg-"):
                    argument = value[len("tg-") :]
                elif tag == "tg-emoji" and attr == "emoji-id":
                    argument = value
            if tag == "span" and argument != "spoiler":
                raise err(
                    'Tag "span" must have class "tg-spoiler" at byte offset '
                    f"{_byte_offset(text, begin)}"
                )
            i += 1  # skip '>'
            nested.append((tag, argument, utf16, len(out)))
            continue

        # end tag
        if not nested:
            raise err(f"Unexpected end tag at byte offset {_byte_offset(text, begin)}")
        while at(i) not in _SPACES and at(i) != ">":
            i += 1
        end_tag = text[begin + 2 : i].lower()
        while i < n and at(i) in _SPACES:
            i += 1
        if at(i) != ">":
            raise err(f"Unclosed end tag at byte offset {_byte_offset(text, begin)}")
        i += 1
        tag, argument, offset, out_begin = nested[-1]
        if end_tag and end_tag != tag:
            raise err(
                f"Unmatched end tag at byte offset {_byte_offset(text, begin)}, "
                f'expected "</{tag}>", found "</{end_tag}>"'
            )
        nested.pop()
        length = utf16 - offset
        if length <= 0:
            continue
        if tag in _SIMPLE_TAGS or tag == "span":
            entities.append(
                {"type": _SIMPLE_TAGS.get(tag, "spoiler"), "offset": offset, "length": length}
            )
        elif tag == "tg-emoji":
            if not argument.isdigit() or int(argument) == 0:
                raise err("Invalid custom emoji identifier specified")
            entities.append(
                {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": length,
                    "custom_emoji_id": argument,
                }
            )
        elif tag == "a":
            url = argument or "".join(out[out_begin:])
            link = _link_entity(url, offset, length)
            if link is not None:
                entities.append(link)
        elif tag == "pre":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "code"
                and last["offset"] == offset
                and last["length"] == length
                and last.get("language")
            ):
                last["type"] = "pre"
            else:
                entities.append({"type": "pre", "offset": offset, "length": length})
        elif tag == "code":
            last = entities[-1] if entities else None
            if (
                last is not None
                and last["type"] == "pre"
                and last["offset"] == offset
                and last["length"] == length
                and argument
            ):
                last["language"] = argument
            else:
                code: Entity = {"type": "code", "offset": offset, "length": length}
                if argument:
                    code["language"] = argument
                entities.append(code)
        elif tag == "blockquote":
            kind = "expandable_blockquote" if argument == "expandable" else "blockquote"
            entities.append({"type": kind, "offset": offset, "length": length})
    if nested:
        raise err(f"Can't find end tag corresponding to start tag {nested[-1][0]}")
    if had_surrogate:
        raise err(
            "Text contains invalid Unicode characters after decoding HTML entities, check for "
            "unmatched surrogate code units"
        )
    for entity in entities:
        if entity["type"] == "code":
            entity.pop("language", None)
    return "".join(out), _sorted(entities)


# --------------------------------------------------------------------------------- MarkdownV2

_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "code": "Code",
    "pre": "Pre",
    "custom_emoji": "CustomEmoji",
    "blockquote": "BlockQuote",
}


def parse_markdown_v2(text: str) -> tuple[str, list[Entity]]:
    """Telegram's ``parse_mode="MarkdownV2"``."""
    n = len(text)

    def at(i: int) -> str:
        return text[i] if i < n else "\0"

    def reserved(ch: str) -> EntityParseError:
        return EntityParseError(
            f"Character '{ch}' is reserved and must be escaped with the preceding '\\'"
        )

    out: list[str] = []
    entities: list[Entity] = []
    # stack of [type, argument, utf16 offset, byte offset of the start, index into `out`]
    nested: list[list[Any]] = []
    utf16 = 0
    have_blockquote = False
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and 0 < ord(at(i + 1)) <= 126:
            i += 1
            out.append(text[i])
            utf16 += 1
            i += 1
            continue
        reserved_chars = "_*[]()~`>#+-=|{}.!\n"
        if nested and nested[-1][0] in ("code", "pre"):
            reserved_chars = "`"
        if c not in reserved_chars:
            out.append(c)
            utf16 += _units(c)
            i += 1
            continue

        is_end = False
        if nested:
            top = nested[-1][0]
            if have_blockquote and c == "\n" and (i + 1 == n or text[i + 1] != ">"):
                is_end = True
            else:
                is_end = {
                    "bold": c == "*",
                    "italic": c == "_" and at(i + 1) != "_",
                    "code": c == "`",
                    "pre": c == "`" and at(i + 1) == "`" and at(i + 2) == "`",
                    "text_link": c == "]",
                    "underline": c == "_" and at(i + 1) == "_",
                    "strikethrough": c == "~",
                    "spoiler": c == "|" and at(i + 1) == "|",
                    "custom_emoji": c == "]",
                    "blockquote": False,
                }[top]

        if not is_end:
            kind: str | None
            argument = ""
            byte_start = _byte_offset(text, i)
            if c == "_":
                if at(i + 1) == "_":
                    kind = "underline"
                    i += 1
                else:
                    kind = "italic"
            elif c == "*":
                kind = "bold"
            elif c == "~":
                kind = "strikethrough"
            elif c == "|":
                if at(i + 1) != "|":
                    raise reserved(c)
                i += 1
                kind = "spoiler"
            elif c == "[":
                kind = "text_link"
            elif c == "`":
                if at(i + 1) == "`" and at(i + 2) == "`":
                    i += 3
                    kind = "pre"
                    lang_end = i
                    while at(lang_end) not in _SPACES and at(lang_end) != "`":
                        lang_end += 1
                    if i != lang_end and lang_end < n and text[lang_end] != "`":
                        argument = text[i:lang_end]
                        i = lang_end
                    if at(i) in ("\n", "\r"):
                        if at(i + 1) in ("\n", "\r") and at(i) != at(i + 1):
                            i += 2
                        else:
                            i += 1
                    i -= 1
                else:
                    kind = "code"
            elif c == "!":
                if at(i + 1) != "[":
                    raise reserved(c)
                i += 1
                kind = "custom_emoji"
            elif c == "\n":
                utf16 += 1
                out.append("\n")
                kind = None
                if i + 1 < n and text[i + 1] == ">":
                    i += 1
                    if not have_blockquote:
                        kind = "blockquote"
                        have_blockquote = True
            elif c == ">":
                if i != 0:
                    raise reserved(c)
                kind = "blockquote"
                have_blockquote = True
            else:
                raise reserved(c)
            i += 1
            if kind is not None:
                nested.append([kind, argument, utf16, byte_start, len(out)])
            continue

        # end of an entity
        kind, argument, offset, byte_start, out_begin = nested[-1]
        if c == "\n" and kind != "blockquote":
            raise EntityParseError(
                f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {byte_start}"
            )
        skip = utf16 == offset
        entity: Entity | None = None
        if kind in ("underline", "spoiler"):
            i += 1
        elif kind == "pre":
            i += 2
        elif kind in ("text_link", "custom_emoji"):
            url_chars: list[str] = []
            if kind == "text_link" and at(i + 1) != "(":
                url = "".join(out[out_begin:])
            else:
                if at(i + 1) != "(":
                    raise EntityParseError("Custom emoji entity must contain a tg://emoji URL")
                i += 2
                url_begin = i
                while i < n and text[i] != ")":
                    if text[i] == "\\" and 0 < ord(at(i + 1)) <= 126:
                        url_chars.append(text[i + 1])
                        i += 2
                        continue
                    url_chars.append(text[i])
                    i += 1
                if at(i) != ")":
                    what = "a URL" if kind == "text_link" else "a custom emoji URL"
                    raise EntityParseError(
                        f"Can't find end of {what} at byte offset {_byte_offset(text, url_begin)}"
                    )
                url = "".join(url_chars)
            if kind == "text_link":
                entity = _link_entity(url, offset, utf16 - offset)
                skip = skip or entity is None
            else:
                emoji = _EMOJI_LINK.match(url)
                if emoji is None:
                    raise EntityParseError("Invalid custom emoji identifier specified")
                entity = {
                    "type": "custom_emoji",
                    "offset": offset,
                    "length": utf16 - offset,
                    "custom_emoji_id": emoji.group(1),
                }
        elif kind == "blockquote":
            have_blockquote = False
            out.append(text[i])
            utf16 += 1
        if not skip:
            if entity is None:
                entity = {"type": kind, "offset": offset, "length": utf16 - offset}
                if kind == "pre" and argument:
                    entity["language"] = argument
            entities.append(entity)
        nested.pop()
        i += 1

    if have_blockquote and nested and nested[-1][0] == "blockquote":
        offset = nested[-1][2]
        if utf16 != offset:
            entities.append({"type": "blockquote", "offset": offset, "length": utf16 - offset})
        nested.pop()
    if nested:
        kind, _, _, byte_start, _ = nested[-1]
        raise EntityParseError(
            f"Can't find end of {_MDV2_NAMES[kind]} entity at byte offset {byte_start}"
        )
    return "".join(out), _sorted(entities)


# ---------------------------------------------------------------------------- legacy Markdown


def parse_markdown(text: str) -> tuple[str, list[Entity]]:
    """Telegram's legacy ``parse_mode="Markdown"``."""
    n = len(text)

    def at(i: int) -> str:
        return text[i] if i < n else "\0"

    out: list[str] = []
    entities: list[Entity] = []
    utf16 = 0
    i = 0
    while i < n:
        c = text[i]
        if c == "\\" and at(i + 1) in ("_", "*", "`", "["):
            out.append(text[i + 1])
            utf16 += 1
            i += 2
            continue
        if c not in ("_", "*", "`", "["):
            out.append(c)
            utf16 += _units(c)
            i += 1
            continue
        begin = i
        end_char = "]" if c == "[" else c
        is_pre = False
        language = ""
        i += 1
        if c == "`" and at(i) == "`" and at(i + 1) == "`":
            i += 2
            is_pre = True
            lang_end = i
            while at(lang_end) not in _SPACES and at(lang_end) != "`":
                lang_end += 1
            if i != lang_end and lang_end < n and text[lang_end] != "`":
                language = text[i:lang_end]
                i = lang_end
            if at(i) in ("\n", "\r"):
                if at(i + 1) in ("\n", "\r") and at(i) != at(i + 1):
                    i += 2
                else:
                    i += 1
        offset = utf16
        while i < n and (
            text[i] != end_char or (is_pre and not (at(i + 1) == "`" and at(i + 2) == "`"))
        ):
            out.append(text[i])
            utf16 += _units(text[i])
            i += 1
        if i == n:
            raise EntityParseError(
                f"Can't find end of the entity starting at byte offset {_byte_offset(text, begin)}"
            )
        length = utf16 - offset
        if length:
            if c == "_":
                entities.append({"type": "italic", "offset": offset, "length": length})
            elif c == "*":
                entities.append({"type": "bold", "offset": offset, "length": length})
            elif c == "[":
                if at(i + 1) != "(":
                    url = text[begin + 1 : i]
                else:
                    i += 2
                    url_begin = i
                    while i < n and text[i] != ")":
                        i += 1
                    url = text[url_begin:i]
                link = _link_entity(url, offset, length)
                if link is not None:
                    entities.append(link)
            elif is_pre:
                pre: Entity = {"type": "pre", "offset": offset, "length": length}
                if language:
                    pre["language"] = language
                entities.append(pre)
            else:
                entities.append({"type": "code", "offset": offset, "length": length})
        if is_pre:
            i += 2
        i += 1
    return "".join(out), _sorted(entities)


def parse_entities(
    text: str, parse_mode: str | None, *, strict_entities: bool = True
) -> tuple[str, list[Entity]]:
    """Apply ``parse_mode`` (case-insensitive, as in the Bot API); no mode means plain text."""
    if not parse_mode:
        return text, []
    mode = parse_mode.lower()
    if mode == "html":
        return parse_html(text, strict_entities=strict_entities)
    if mode == "markdownv2":
        return parse_markdown_v2(text)
    if mode == "markdown":
        return parse_markdown(text)
    raise UnsupportedParseModeError(parse_mode)
