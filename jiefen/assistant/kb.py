"""Knowledge-base file format: load, validate, export. Pure Python (no Django).

A knowledge base is a JSON or YAML file holding either a list of entries or a mapping
``{"entries": [...], "synonyms": {...}, "domain_terms": [...], "uncovered_terms": [...]}``. Each entry needs ``id``,
``category``, ``question``, ``paraphrases`` and ``answer``; ``source``, ``reviewed_on``,
``keywords`` and ``synonyms`` are optional. See docs/assistant.md for the full description.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REQUIRED_FIELDS = ("id", "category", "question", "paraphrases", "answer")
OPTIONAL_FIELDS = ("source", "reviewed_on", "keywords", "synonyms")


@dataclass
class Entry:
    id: str
    category: str
    question: str
    paraphrases: list[str]
    answer: str
    source: str = ""
    reviewed_on: str = ""
    keywords: list[str] = field(default_factory=list)
    # canonical form -> surface forms; folded into the matcher's global synonym map.
    synonyms: dict[str, list[str]] = field(default_factory=dict)
    # Unknown fields are kept so that load -> dump does not lose an editor's annotations.
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "id": self.id,
            "category": self.category,
            "question": self.question,
            "paraphrases": list(self.paraphrases),
            "answer": self.answer,
        }
        if self.source:
            d["source"] = self.source
        if self.reviewed_on:
            d["reviewed_on"] = self.reviewed_on
        if self.keywords:
            d["keywords"] = list(self.keywords)
        if self.synonyms:
            d["synonyms"] = {k: list(v) for k, v in self.synonyms.items()}
        d.update(self.extra)
        return d


class KnowledgeBase(list[Entry]):
    """A list of entries that also carries the file's top-level synonyms, domain terms and uncovered
    subjects."""

    def __init__(
        self,
        entries: list[Entry] | None = None,
        synonyms: dict[str, list[str]] | None = None,
        domain_terms: list[str] | None = None,
        uncovered_terms: list[str] | None = None,
    ) -> None:
        super().__init__(entries or [])
        self.synonyms: dict[str, list[str]] = synonyms or {}
        self.domain_terms: list[str] = domain_terms or []
        self.uncovered_terms: list[str] = uncovered_terms or []


def default_kb_path() -> Path:
    return Path(__file__).resolve().parent / "data" / "knowledge_base.json"


def _where(index: int, raw: Any) -> str:
    ident = raw.get("id") if isinstance(raw, dict) else None
    label = f"，id={ident!r}" if isinstance(ident, str) and ident else ""
    return f"知识库第 {index + 1} 条（索引 {index}{label}）"


def _str_list(value: Any, where: str, name: str) -> list[str]:
    if isinstance(value, str):
        raise ValueError(f"{where}：字段“{name}”应为字符串列表，而不是单个字符串")
    if not isinstance(value, list):
        raise ValueError(f"{where}：字段“{name}”应为列表")
    out = []
    for j, item in enumerate(value):
        if not isinstance(item, str) or not item.strip():
            raise ValueError(f"{where}：字段“{name}”的第 {j + 1} 项应为非空字符串")
        out.append(item.strip())
    return out


def _synonyms(value: Any, where: str) -> dict[str, list[str]]:
    if not isinstance(value, dict):
        raise ValueError(f"{where}：字段“synonyms”应为 {{标准词: [同义词, ...]}} 形式的映射")
    out: dict[str, list[str]] = {}
    for canon, surfaces in value.items():
        if not isinstance(canon, str) or not canon.strip():
            raise ValueError(f"{where}：“synonyms”的标准词应为非空字符串")
        out[canon.strip()] = _str_list(surfaces, where, f"synonyms.{canon}")
    return out


def entry_from_dict(raw: Any, index: int) -> Entry:
    where = _where(index, raw)
    if not isinstance(raw, dict):
        raise ValueError(f"{where}：每条应为一个对象（映射），实际是 {type(raw).__name__}")
    for name in REQUIRED_FIELDS:
        if name not in raw or raw[name] is None:
            raise ValueError(f"{where}：缺少必填字段“{name}”")
    for name in ("id", "category", "question", "answer"):
        if not isinstance(raw[name], str) or not raw[name].strip():
            raise ValueError(f"{where}：字段“{name}”应为非空字符串")
    reviewed = raw.get("reviewed_on", "")
    if isinstance(reviewed, dt.date):  # YAML turns 2026-11-22 into a date object.
        reviewed = reviewed.isoformat()
    if not isinstance(reviewed, str):
        raise ValueError(f"{where}：字段“reviewed_on”应为日期字符串，如 2026-11-22")
    source = raw.get("source", "")
    if not isinstance(source, str):
        raise ValueError(f"{where}：字段“source”应为字符串")
    # ``requires`` and ``cues`` are matcher fields kept in ``extra`` (the database stores them there too),
    # but a malformed one must fail at load time, not when the matcher is built.
    for name in ("requires", "cues"):
        if name in raw and raw[name] is not None:
            _str_list(raw[name], where, name)
    known = set(REQUIRED_FIELDS) | set(OPTIONAL_FIELDS)
    return Entry(
        id=raw["id"].strip(),
        category=raw["category"].strip(),
        question=raw["question"].strip(),
        paraphrases=_str_list(raw["paraphrases"], where, "paraphrases"),
        answer=raw["answer"].strip(),
        source=source.strip(),
        reviewed_on=reviewed.strip(),
        keywords=_str_list(raw.get("keywords", []) or [], where, "keywords"),
        synonyms=_synonyms(raw.get("synonyms", {}) or {}, where),
        extra={k: v for k, v in raw.items() if k not in known},
    )


def _parse(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8-sig")
    except FileNotFoundError:
        raise ValueError(f"找不到知识库文件：{path}") from None
    except UnicodeDecodeError as exc:
        raise ValueError(f"知识库文件 {path} 不是 UTF-8 编码：{exc}") from None
    suffix = path.suffix.lower()
    if suffix == ".json" or (suffix not in (".yaml", ".yml") and text.lstrip()[:1] in "[{"):
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise ValueError(
                f"知识库文件 {path} 不是有效的 JSON：第 {exc.lineno} 行第 {exc.colno} 列，{exc.msg}"
            ) from None
    try:
        import yaml
    except ImportError:  # pragma: no cover - pyyaml is a project dependency
        raise ValueError(f"读取 YAML 知识库 {path} 需要安装 pyyaml") from None
    try:
        return yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValueError(f"知识库文件 {path} 不是有效的 YAML：{exc}") from None


def kb_from_data(data: Any) -> KnowledgeBase:
    synonyms: dict[str, list[str]] = {}
    domain_terms: list[str] = []
    uncovered_terms: list[str] = []
    if isinstance(data, dict):
        if "entries" not in data:
            raise ValueError("知识库文件应为条目列表，或包含“entries”字段的对象")
        if "synonyms" in data and data["synonyms"]:
            synonyms = _synonyms(data["synonyms"], "知识库顶层")
        if "domain_terms" in data and data["domain_terms"]:
            domain_terms = _str_list(data["domain_terms"], "知识库顶层", "domain_terms")
        if "uncovered_terms" in data and data["uncovered_terms"]:
            uncovered_terms = _str_list(data["uncovered_terms"], "知识库顶层", "uncovered_terms")
        data = data["entries"]
    if not isinstance(data, list):
        raise ValueError("知识库文件应为条目列表，或包含“entries”字段的对象")
    if not data:
        raise ValueError("知识库为空：至少需要一条条目")
    entries = [entry_from_dict(raw, i) for i, raw in enumerate(data)]
    seen: dict[str, int] = {}
    for i, e in enumerate(entries):
        if e.id in seen:
            raise ValueError(f"{_where(i, data[i])}：id“{e.id}”与第 {seen[e.id] + 1} 条重复")
        seen[e.id] = i
    return KnowledgeBase(entries, synonyms, domain_terms, uncovered_terms)


def load_kb(path: str | Path) -> KnowledgeBase:
    """Load a JSON or YAML knowledge base; raises ValueError with a Chinese message if malformed."""
    return kb_from_data(_parse(Path(path)))


def dump_kb(entries: list[Entry], path: str | Path) -> None:
    """Write entries back as JSON (or YAML when the path ends in .yaml/.yml)."""
    path = Path(path)
    items = [e.to_dict() for e in entries]
    synonyms = getattr(entries, "synonyms", {}) or {}
    domain_terms = getattr(entries, "domain_terms", []) or []
    uncovered_terms = getattr(entries, "uncovered_terms", []) or []
    data: Any = items
    if synonyms or domain_terms or uncovered_terms:
        data = {"entries": items}
        if synonyms:
            data["synonyms"] = synonyms
        if domain_terms:
            data["domain_terms"] = domain_terms
        if uncovered_terms:
            data["uncovered_terms"] = uncovered_terms
    if path.suffix.lower() in (".yaml", ".yml"):
        import yaml

        text = yaml.safe_dump(data, allow_unicode=True, sort_keys=False, width=1000)
    else:
        text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    path.write_text(text, encoding="utf-8")
