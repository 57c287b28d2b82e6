"""Cut a long text into chunks at sentence boundaries, each at most ``max_chars`` characters.

Sentences end after Chinese or Latin terminal punctuation (plus any closing quotes or brackets) or at a line
break. Sentences are packed greedily into chunks. A sentence longer than a chunk is cut at clause punctuation
(commas, enumeration commas, colons, spaces) and, as a last resort, at ``max_chars``. Only whitespace between
sentences and around chunks is dropped; no other character is lost or reordered.
"""

from __future__ import annotations

import re

_SENTENCE = re.compile(r".*?(?:[。！？!?；;…]+[”’」』）)\]\"']*|\.(?=\s)|\n+|$)", re.S)
_CLAUSE = re.compile(r".*?(?:[，,、：:\s]+|$)", re.S)


def sentences(text: str) -> list[str]:
    """The text's sentences in order, each with its trailing punctuation; empty pieces dropped."""
    return [s for s in (m.group(0) for m in _SENTENCE.finditer(text)) if s.strip()]


def _split_long(sentence: str, max_chars: int) -> list[str]:
    if len(sentence) <= max_chars:
        return [sentence]
    pieces: list[str] = []
    for clause in (m.group(0) for m in _CLAUSE.finditer(sentence)):
        if not clause:
            continue
        while len(clause) > max_chars:
            pieces.append(clause[:max_chars])
            clause = clause[max_chars:]
        if pieces and len(pieces[-1]) + len(clause) <= max_chars:
            pieces[-1] += clause
        else:
            pieces.append(clause)
    return pieces


def chunk_text(text: str, max_chars: int) -> list[str]:
    """Chunks of at most ``max_chars`` characters, cut at sentence boundaries where possible, stripped."""
    if max_chars < 1:
        raise ValueError("max_chars must be positive")
    chunks: list[str] = []
    current = ""
    for sentence in sentences(text.strip()):
        for piece in _split_long(sentence, max_chars):
            if current and len(current) + len(piece) > max_chars:
                chunks.append(current)
                current = ""
            current += piece
    if current.strip():
        chunks.append(current)
    return [c.strip() for c in chunks if c.strip()]


# Elements whose content is read as a whole (a spelled-out span, forced readings, an alias): never cut inside.
_WHOLE = {"say-as", "phoneme", "sub"}
_SSML_SENTENCE_END = re.compile(r"[。！？!?；…]+[”’」』）)\]\"']*|\.(?=\s)|\n+")
_SSML_CLAUSE_END = re.compile(r"[，,、：:]+|\s+")


def chunk_ssml(doc: str, max_chars: int) -> list[tuple[str, int]]:
    """Cut a well-formed SSML document into standalone documents of at most ``max_chars`` characters each.

    Cuts fall in text, after a sentence (or, in a sentence longer than a part, after a clause), never inside
    ``<say-as>``, ``<phoneme>`` or ``<sub>``. Each part reopens the elements open at its cut with their start tags
    copied verbatim (``<speak ...>``, ``<voice>``, ``<prosody>``, ``<emotion>``, ``<p>``, ``<s>``) and closes them at
    its end, so it is spoken with the same voice, emotion and prosody. Returns ``(part, shift)`` pairs: a UTF-8
    byte offset ``b`` in the part is byte ``shift + b`` of ``doc`` for every byte of the original text the part
    holds. Raises ValueError when a piece that cannot be cut is longer than ``max_chars``.
    """
    import xml.parsers.expat

    raw = doc.encode("utf-8")
    stack: list[tuple[str, int, int]] = []  # (name, start byte, end byte of the start tag)
    cuts: list[tuple[int, int, tuple[tuple[str, int, int], ...]]] = []  # (byte, strength 2|1, open elements)
    parser = xml.parsers.expat.ParserCreate()

    def start_tag_end(at: int) -> int:
        quote = None
        for i in range(at, len(raw)):
            c = raw[i : i + 1]
            if quote:
                quote = None if c == quote else quote
            elif c in (b'"', b"'"):
                quote = c
            elif c == b">":
                return i + 1
        raise ValueError("unterminated start tag")

    def on_start(name: str, _attrs: dict) -> None:
        at = parser.CurrentByteIndex
        stack.append((name.rsplit(":", 1)[-1], at, start_tag_end(at)))

    def on_end(_name: str) -> None:
        stack.pop()

    def on_text(_data: str) -> None:
        if not stack or any(name in _WHOLE for name, _, _ in stack):
            return
        at = parser.CurrentByteIndex
        # the text node's original bytes run up to the next markup (an entity stays inside a node)
        nxt = raw.find(b"<", at)
        end = nxt if nxt >= 0 else len(raw)
        text = raw[at:end].decode("utf-8", "surrogatepass")
        here = tuple(stack)
        for pattern, strength in ((_SSML_SENTENCE_END, 2), (_SSML_CLAUSE_END, 1)):
            for m in pattern.finditer(text):
                cut = at + len(text[: m.end()].encode("utf-8", "surrogatepass"))
                if at < cut <= end:
                    cuts.append((cut, strength, here))

    parser.StartElementHandler = on_start
    parser.EndElementHandler = on_end
    parser.CharacterDataHandler = on_text
    parser.buffer_text = False
    parser.Parse(raw, True)
    cuts.sort()

    def part(begin: int, end: int, opened: tuple[tuple[str, int, int], ...], closing: tuple) -> tuple[str, int]:
        """Bytes ``begin:end`` of ``doc``, with ``opened`` reopened before and ``closing`` closed after."""
        prefix = b"".join(raw[s:e] for _, s, e in opened)
        suffix = "".join(f"</{name}>" for name, _, _ in reversed(closing)).encode()
        body = prefix + raw[begin:end] + suffix
        return body.decode("utf-8", "surrogatepass"), begin - len(prefix)

    def length(begin: int, end: int, opened: tuple, closing: tuple) -> int:
        return len(part(begin, end, opened, closing)[0])

    if len(doc) <= max_chars:
        return [(doc, 0)]
    out: list[tuple[str, int]] = []
    begin, opened = 0, ()  # the first part starts with the document itself
    i = 0
    while True:
        if length(begin, len(raw), opened, ()) <= max_chars:
            out.append(part(begin, len(raw), opened, ()))
            return out
        best: tuple[int, int, tuple] | None = None  # the furthest sentence cut that fits, else the furthest clause cut
        best_clause: tuple[int, int, tuple] | None = None
        j = i
        while j < len(cuts):
            cut, strength, here = cuts[j]
            if cut <= begin:
                j += 1
                continue
            if len(raw[begin:cut].decode("utf-8", "surrogatepass")) > max_chars:
                break  # the document's own bytes alone are too long: so is every later cut
            if length(begin, cut, opened, here) > max_chars:
                j += 1  # fewer elements may be open at a later cut, so its part may be shorter
                continue
            if strength == 2:
                best = (j, cut, here)
            else:
                best_clause = (j, cut, here)
            j += 1
        chosen = best or best_clause
        if chosen is None:
            raise ValueError(f"a piece of the SSML longer than {max_chars} characters has no place to cut")
        j, cut, here = chosen
        out.append(part(begin, cut, opened, here))
        begin, opened, i = cut, here, j + 1


def ssml_parts(doc: str, target: int, limit: int) -> list[tuple[str, int]]:
    """:func:`chunk_ssml` with parts of about ``target`` characters where the markup allows, and larger ones (four
    times larger at each step, up to ``limit``) where a piece cannot be cut that small. Raises ValueError when a
    piece longer than ``limit`` cannot be cut, ``xml.parsers.expat.ExpatError`` when the SSML is malformed."""
    size = min(target, limit)
    while True:
        try:
            return chunk_ssml(doc, size)
        except ValueError:
            if size >= limit:
                raise
            size = min(size * 4, limit)
