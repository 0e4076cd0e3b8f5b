"""Each figure has one definition: the registry and docs/figures.md agree."""

from pathlib import Path

from django.conf import settings

from jiefen.common.rules import RULES
from jiefen.stats.figures import FIGURES

DOCS = Path(settings.BASE_DIR) / "docs"


def test_every_figure_is_documented_with_its_definition():
    text = (DOCS / "figures.md").read_text(encoding="utf-8")
    for key, figure in FIGURES.items():
        assert f"`{key}` | {figure.label} | {figure.unit} | {figure.definition} |" in text, key


def test_every_figure_has_a_chinese_label_and_definition():
    for figure in FIGURES.values():
        assert figure.label and figure.definition.endswith("。"), figure.key


def test_the_monitoring_rules_are_documented():
    text = (DOCS / "monitoring.md").read_text(encoding="utf-8")
    for key in [k for k in RULES if k.startswith("stats.")]:
        assert f"`{key}`" in text, key
