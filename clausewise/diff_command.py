"""``clausewise diff``: its choices, its run, and a reader for its plain command lines.

Kept free of click so that ``clausewise diff a.txt b.txt`` starts fast: ``clausewise.launch``
runs a plain diff command line (two refs and the simple options) through ``plain_diff_args`` and
``run_diff`` directly; anything else (``--help``, ``-o``, an unknown option, a bad choice, shell
completion) goes to the click command in cli.py, which calls the same ``run_diff``.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Mapping

FORMATS = ("text", "json", "html", "md", "pdf", "docx")
BINARY_FORMATS = ("pdf", "docx")  # never written to a terminal
CONTEXTS = ("unchanged", "none")
UI_LANGUAGES = ("auto", "en", "zh")

# Options the plain reader takes: name -> (parameter, choices); None marks a flag.
_VALUED = {"--format": ("output_format", FORMATS), "--context": ("context", CONTEXTS),
           "--lang": ("ui_lang", UI_LANGUAGES)}
_FLAGS = {"--exit-code": "exit_code"}


def run_diff(old: str, new: str, *, output_format: str = "text", output: str | None = None,
             context: str = "unchanged", exit_code: bool = False, ui_lang: str = "auto",
             repo_dir: str = ".", author: str | None = None) -> int:
    """Compare OLD and NEW, write the rendering to ``output`` (atomically) or standard output, and
    return the exit code: 1 with ``exit_code`` when the texts differ, else 0. ClausewiseError for
    a bad ref or file. ``author`` names the reviser in a docx redline (default: clausewise.toml's
    ``redline_author``)."""
    from .differ import diff_texts
    from .refs import load_document

    if output_format in BINARY_FORMATS and not output and sys.stdout.isatty():
        from .errors import UsageProblem

        raise UsageProblem(f"--format {output_format} writes a binary file, not text for the terminal; "
                           f"write it with -o redline.{output_format}, or redirect: > redline.{output_format}")
    if output_format == "docx" and author is None:
        author = _configured_author(repo_dir)
    gc.disable()  # a diff builds many objects without cycles; collections would cost, not free
    try:
        old_text, old_ref = load_document(old, repo_dir)
        new_text, new_ref = load_document(new, repo_dir)
        diff = diff_texts(old_text, new_text, old_ref, new_ref)
        if output_format == "docx":
            from .differ import render_docx

            rendered: str | bytes = render_docx(diff, author=author or "",
                                                lang=None if ui_lang == "auto" else ui_lang)
        else:
            rendered = _render(diff, output_format, context, ui_lang, color=output is None and sys.stdout.isatty())
    finally:
        gc.enable()
    if output:
        from .fileutil import write_output

        write_output(output, rendered)
    else:
        _write_stdout(rendered if isinstance(rendered, bytes) or rendered.endswith("\n") else rendered + "\n")
    return 1 if exit_code and diff.changed() else 0


def _configured_author(repo_dir: str) -> str | None:
    """``redline_author`` from clausewise.toml in ``repo_dir``, when there is such a file."""
    from pathlib import Path

    from .config import CONFIG_NAME, load_config

    if not (Path(repo_dir) / CONFIG_NAME).is_file():
        return None
    return load_config(repo_dir).redline_author or None


def _write_stdout(data: str | bytes) -> None:
    """Write ``data`` (text, or bytes as they are) to standard output: a full disk is one
    ClausewiseError, a closed pipe a quiet exit 1 (standard output then points at /dev/null, so
    that Python's exit flush stays quiet)."""
    try:
        if isinstance(data, bytes):
            sys.stdout.flush()
            sys.stdout.buffer.write(data)
            sys.stdout.buffer.flush()
        else:
            sys.stdout.write(data)
            sys.stdout.flush()
    except OSError as exc:
        from .errors import ClausewiseError

        try:
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        except (OSError, ValueError):  # not a real file (a test's capture): nothing will flush it
            pass
        if isinstance(exc, BrokenPipeError):  # the reader went away (| head): stop quietly, as git does
            raise SystemExit(1) from None
        raise ClausewiseError(f"cannot write the diff to standard output ({exc.strerror or exc}); "
                              "write it to a file with -o FILE, or free space where it goes") from None


def _render(diff, output_format: str, context: str, ui_lang: str, *, color: bool) -> str | bytes:
    if output_format == "pdf":
        from .differ import render_pdf

        return render_pdf(diff, lang=None if ui_lang == "auto" else ui_lang)
    if output_format == "json":
        from .differ import render_json

        return render_json(diff)
    if output_format == "html":
        from .differ import render_html

        return render_html(diff, lang=None if ui_lang == "auto" else ui_lang)
    if output_format == "md":
        from .differ import render_markdown

        return render_markdown(diff, context=context)
    from .differ import render_text

    return render_text(diff, color=color, context=context)


def plain_diff_args(args: list[str], environ: Mapping[str, str] = os.environ) -> dict[str, object] | None:
    """The keyword arguments of ``run_diff`` for the arguments after ``diff``, or None when the
    command line is anything but two refs with ``--format``, ``--context``, ``--lang``,
    ``--exit-code`` (click then handles it, errors and help included)."""
    options: dict[str, object] = {}
    refs: list[str] = []
    at = 0
    while at < len(args):
        arg = args[at]
        if not arg.startswith("-"):
            refs.append(arg)
        elif arg in _FLAGS:
            options[_FLAGS[arg]] = True
        else:
            name, has_value, value = arg.partition("=")
            if name not in _VALUED:
                return None
            if not has_value:
                at += 1
                if at == len(args):
                    return None
                value = args[at]
            parameter, choices = _VALUED[name]
            if value not in choices:
                return None
            options[parameter] = value
        at += 1
    repo_dir = environ.get("CLAUSEWISE_REPO") or "."
    if len(refs) != 2 or (os.path.exists(repo_dir) and not os.path.isdir(repo_dir)):
        return None
    return {"old": refs[0], "new": refs[1], "repo_dir": repo_dir, **options}
