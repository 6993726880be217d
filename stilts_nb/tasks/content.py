"""A task's content identity: one hash of everything that decides what its tokenizer sees.

Why a hash of the declaration and its code, not a hand-kept ``version`` number on each Task:
a version is only as good as the memory of whoever edits a format, and the edits this paper is
about (how HellaSwag-p builds a choice, what -sh shuffles) are one-line changes that nobody
thinks of as "a new version". The hash cannot be forgotten. What goes in (``ingredients``):
- the declaration's data-deciding fields: kind, metric, max length, label names, number of
  choices, the applied transforms, the @N subsample and the transforms' fixed seed;
- the source code of the functions that turn files into tokenizer input: the input format, each
  layout's reader, the hub row converter, and the generic reading, transform and input helpers
  (``readers``, ``transforms.apply``, ``base.inputs`` ...).
Source is compared token by token with comments and layout dropped, so a reworded comment or a
reflowed line keeps every run id, and any change to code does not. Not in it: the task's name
(the run identity has it), its description, where its files live (the data's own content
fingerprint covers what was read), and its epochs (a training setting, hashed by the run).

    content_id(get_task("hellaswag-p"))   -> "3f9c0a..." (16 hex characters)
    ingredients(task)                     -> the readable dict it hashes (`stilts-nb tasks --json`)
"""
from __future__ import annotations

import hashlib
import inspect
import io
import json
import tokenize
from functools import lru_cache

ID_LENGTH = 16
# token kinds that carry no meaning for the code's behaviour (comments, blank or continued
# lines); statement ends and block starts and ends do, so they are kept as markers below
_LAYOUT = {tokenize.COMMENT, tokenize.NL, tokenize.ENCODING, tokenize.ENDMARKER}
_MARKERS = {tokenize.NEWLINE: "<end>", tokenize.INDENT: "<block>", tokenize.DEDENT: "</block>"}


def ingredients(task) -> dict:
    """The JSON-able description of a task's content that `content_id` hashes."""
    from . import base, readers, transforms

    code = {"format": code_digest(task.format),
            "hub": code_digest(task.hub.convert) if task.hub else None}
    for layout in task.layouts:
        code[f"read:{layout.name}"] = code_digest(layout.read)
    # shared helpers every task goes through; an edit there is an edit to every task
    code["readers"] = module_digest(readers)  # every function of it
    code["transforms"] = "+".join(code_digest(f) for f in (transforms.apply,
                                                           transforms.shuffle_wrong_endings,
                                                           transforms.derive))
    code["inputs"] = code_digest(base.inputs)
    return {"kind": task.kind, "metric": task.metric, "max_length": task.max_length,
            "labels": list(task.labels), "num_choices": task.num_choices,
            "transforms": list(task.transforms), "subsample": task.subsample,
            "transform_seed": transforms.SEED, "code": code}


def content_id(task) -> str:
    """16 hex characters naming the task's content (see the module's docstring)."""
    blob = json.dumps(ingredients(task), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(blob.encode()).hexdigest()[:ID_LENGTH]


def code_digest(fn) -> str:
    """A digest of one function's source, insensitive to comments and layout. A lambda's
    source is the lines it sits on (inspect cannot cut it out of a call), which is stricter
    than needed but never misses a change to the lambda itself.

    The source is read once per compiled function and kept (`warm` reads every task's at
    import): a notebook kernel that has not reloaded an edited task file runs the old code,
    and must keep labelling its runs with the old code's id, not the file's new one."""
    fn = inspect.unwrap(fn)
    code = getattr(fn, "__code__", None)
    if code is not None and code in _SEEN:
        return _SEEN[code]
    try:
        digest = _digest_source(inspect.getsource(fn))
    except (OSError, TypeError):  # no source shipped: the compiled body is the best we have
        digest = _sha(repr((code.co_code, code.co_consts, code.co_names)) if code else repr(fn))
    if code is not None:
        _SEEN[code] = digest
    return digest


_SEEN: dict = {}  # code object -> digest of its source as first read


def module_digest(module) -> str:
    """The digests of every function defined in a module, in name order."""
    functions = sorted((name, fn) for name, fn in inspect.getmembers(module, inspect.isfunction)
                       if fn.__module__ == module.__name__)
    return _sha(",".join(f"{name}:{code_digest(fn)}" for name, fn in functions))


def warm(tasks: dict) -> None:
    """Read the source of every registered task (and its -p variant's format) now, at import."""
    from .transforms import derive

    for task in tasks.values():
        content_id(task)
        if task.kind == "multiple_choice":
            content_id(derive(task, ("p",), None))


@lru_cache(maxsize=512)
def _digest_source(source: str) -> str:
    return _sha("\x00".join(_tokens(source)))


def _tokens(source: str) -> list:
    """The code's meaningful tokens: block structure as markers (moving a line into or out of an
    `if` changes them), the width of indentation and line breaks inside brackets ignored."""
    out, line = [], []
    try:
        for tok in tokenize.generate_tokens(io.StringIO(source).readline):
            if tok.type in _LAYOUT:
                continue
            if tok.type == tokenize.NEWLINE:
                # a statement that is a lone string is a docstring: prose, like a comment
                if not (len(line) == 1 and line[0].type == tokenize.STRING):
                    out.extend(_MARKERS.get(t.type, t.string) for t in line)
                    out.append(_MARKERS[tok.type])
                line = []
            elif tok.type in (tokenize.INDENT, tokenize.DEDENT):
                out.append(_MARKERS[tok.type])
            else:
                line.append(tok)
    except (tokenize.TokenError, IndentationError, SyntaxError):
        pass  # a lambda's lines cut out of a call end inside its brackets: what we have is it
    out.extend(t.string for t in line)
    return out


def _sha(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:ID_LENGTH]
