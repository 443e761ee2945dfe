#!/usr/bin/env python3
"""Writes sublime/Tally.tmLanguage (the property list Sublime Text reads) from the one grammar,
vscode/syntaxes/tally.tmLanguage.json. Run after changing the grammar; EditorFilesTests checks
that the two agree."""
import json, pathlib, plistlib

here = pathlib.Path(__file__).resolve().parent
grammar = json.loads((here.parent / "vscode/syntaxes/tally.tmLanguage.json").read_text())
grammar.pop("$schema", None)
(here / "Tally.tmLanguage").write_bytes(plistlib.dumps(grammar, sort_keys=True))
