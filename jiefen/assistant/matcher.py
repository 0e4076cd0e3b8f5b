"""Question -> knowledge-base entry matcher for the 7x24 credit-report assistant. Pure Python.

Ranking (``Matcher.rank``): BM25 over character unigrams+bigrams of the normalised text, where every
question/paraphrase is its own document and an entry scores by its best document plus 0.3 x its
second best, divided by the question's BM25 against itself ("how much of the question does the best
paraphrase explain"). Added to that, twice the entry's *coverage*: the share of the question's IDF
mass found anywhere in the entry (question, paraphrases, keywords). IDF is counted per entry, so a
word repeated across one entry's paraphrases keeps its weight.

Confidence (``Matcher.confidence``): a logistic curve of coverage and of the margin over the runner-up
entry, fitted on leave-one-out matches of the shipped knowledge base's own paraphrases, multiplied by a
domain gate: 1 if the question has a credit-report term, 0.5 if it only names a credit product
("信用卡", "房贷"), 0.25 if neither. Below ``threshold`` the question goes to a human.
See docs/assistant.md for the design and the numbers behind it.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from .kb import Entry, default_kb_path, load_kb
from .scam import SCAM_WARNING, ScamResult, detect_scam, with_scam_warning
from .text import Normalizer, light_normalize, word_list

__all__ = ["Answer", "Matcher", "HANDOFF_MESSAGE", "default_kb_path", "load_default_matcher"]

HANDOFF_MESSAGE = (
    "这个问题我暂时无法准确回答，已转人工处理。人民银行征信服务窗口的工作人员会尽快答复您，"
    "请留意回复。如需马上了解，也可以换个说法再问我，例如“怎么查征信”“征信有错怎么提异议”。"
)
SCAM_FALLBACK_INTENT = "dispute.repair_scam"

# Terms (in normalised form, see text.py) that make a question about credit reports, credit rescue or
# the centre's services. Strong terms are specific to that domain. Weak terms are bare credit products:
# "信用卡怎么提额" or "房贷利率多少" mention them without being credit-report questions, so a question
# with only weak terms needs a clearly better match, and one with neither is handed over.
STRONG_DOMAIN_TERMS: tuple[str, ...] = word_list(
    "征信 逾期 异议 个人声明 人民银行 查询记录 标注 机构说明 失信被执行人 白户 助航站 "
    "信用救助 催收 调解 司法确认 停息挂账 个性化分期 展期 罚息 违约金 冒用 盗用 冒名 铲单 洗白 "
    "征信修复 1次性 不予展示 免申即享 代理维权 代理投诉 代理退保 诉讼时效 呆账 代偿 担保 保证人 "
    "结清 还不上 还不起 欠款 欠费 欠税 授权委托 云闪付 自助机 自助查 债务 共同借款 共同还款 "
    "宽限期 报送 信用记录 反催收 包下款 下款 声明 晚还 忘还 忘了还 没还 不还 还不了 欠钱"
)
WEAK_DOMAIN_TERMS: tuple[str, ...] = word_list(
    "贷款 信用卡 信用 销户 网贷 还款 分期 利息 中介 放贷 额度 借呗 花呗 投诉 柜台 经营贷 房贷 车贷 "
    "公积金 助学贷款"
)

_REQUIRES_HEAD = 10
MAX_QUESTION_CHARS = 200

# Ask to talk to a person: hand over at once, whatever the matcher thinks.
_HUMAN_REQUEST = ("转人工", "人工客服", "人工服务", "找人工", "要人工", "真人客服")


@dataclass
class Answer:
    intent: str | None
    answer: str
    confidence: float
    handoff: bool
    scam_warning: bool
    sources: list[str] = field(default_factory=list)
    # Top entries with their ranking scores, for the human queue and for debugging.
    candidates: list[tuple[str, float]] = field(default_factory=list)
    scam_reasons: list[str] = field(default_factory=list)


@dataclass
class _Params:
    k1: float = 1.2
    b: float = 0.75
    coverage_weight: float = 2.0
    second_doc_weight: float = 0.3
    requires_factor: float = 0.5
    # Logistic calibration z = c*coverage + m*margin + bias, fitted on leave-one-out matches of the
    # shipped knowledge base's own paraphrases (is the top entry right?). See docs/assistant.md.
    c: float = 1.86
    m: float = 5.88
    bias: float = -1.13
    weak_domain_factor: float = 0.4
    no_domain_factor: float = 0.25


class Matcher:
    """Match questions against a knowledge base. Build once; ``ask`` is read-only and thread-safe."""

    DEFAULT_THRESHOLD = 0.4

    def __init__(self, entries: Sequence[Entry], threshold: float | None = None, **params: float) -> None:
        if not entries:
            raise ValueError("知识库为空，无法建立索引")
        self.entries = list(entries)
        self.threshold = self.DEFAULT_THRESHOLD if threshold is None else threshold
        self.p = _Params(**params)
        synonyms: dict[str, list[str]] = {}
        for canon, surfaces in (getattr(entries, "synonyms", {}) or {}).items():
            synonyms.setdefault(canon, []).extend(surfaces)
        for e in self.entries:
            for canon, surfaces in e.synonyms.items():
                synonyms.setdefault(canon, []).extend(surfaces)
        self.norm = Normalizer(synonyms)
        # Terms go through the same normaliser as questions, so "查询记录" is looked up as "查记录".
        strong = (*STRONG_DOMAIN_TERMS, *(getattr(entries, "domain_terms", []) or []))
        self.strong_terms = tuple({n for t in strong if (n := self.norm.normalize(t))})
        self.weak_terms = tuple({n for t in WEAK_DOMAIN_TERMS if (n := self.norm.normalize(t))})
        self._by_id = {e.id: i for i, e in enumerate(self.entries)}
        # Subject terms an entry needs ("requires"): without any of them its score is scaled down.
        self._requires: list[tuple[str, ...]] = [
            tuple({n for t in e.extra.get("requires", ()) if (n := self.norm.normalize(t))})
            for e in self.entries
        ]
        self._build()

    # ----------------------------------------------------------------------------------- index
    def _build(self) -> None:
        k1, b = self.p.k1, self.p.b
        doc_tokens: list[list[str]] = []
        self._doc_entry: list[int] = []
        entry_vocab: list[set[str]] = []
        for ei, e in enumerate(self.entries):
            vocab: set[str] = set()
            for text in (e.question, *e.paraphrases):
                toks = self.norm.tokens(text)
                if not toks:
                    continue
                doc_tokens.append(toks)
                self._doc_entry.append(ei)
                vocab.update(toks)
            for kw in e.keywords:
                vocab.update(self.norm.tokens(kw))
            entry_vocab.append(vocab)
        self._avgdl = sum(len(t) for t in doc_tokens) / max(len(doc_tokens), 1)
        # Document frequency counted per entry (any of its texts or keywords), not per paraphrase.
        n_units = len(entry_vocab)
        df: dict[str, int] = defaultdict(int)
        for vocab in entry_vocab:
            for t in vocab:
                df[t] += 1
        self._idf = {t: math.log(1 + (n_units - d + 0.5) / (d + 0.5)) for t, d in df.items()}
        # An unseen term is as informative as the rarest possible one: it counts against coverage.
        self._idf_unseen = math.log(1 + (n_units + 0.5) / 0.5)
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for di, toks in enumerate(doc_tokens):
            tf: dict[str, int] = defaultdict(int)
            for t in toks:
                tf[t] += 1
            norm = k1 * (1 - b + b * len(toks) / self._avgdl)
            for t, f in tf.items():
                postings[t].append((di, self._idf[t] * f * (k1 + 1) / (f + norm)))
        self._postings = dict(postings)

        entry_post: dict[str, list[int]] = defaultdict(list)
        for ei, vocab in enumerate(entry_vocab):
            for t in vocab:
                entry_post[t].append(ei)
        self._entry_post = dict(entry_post)

    # ----------------------------------------------------------------------------------- scoring
    def _self_score(self, tf: dict[str, int], qlen: int) -> float:
        k1, b = self.p.k1, self.p.b
        norm = k1 * (1 - b + b * qlen / self._avgdl)
        unseen = self._idf_unseen
        return sum(self._idf.get(t, unseen) * f * (k1 + 1) / (f + norm) for t, f in tf.items())

    def rank(self, question: str) -> tuple[list[tuple[int, float, float, float]], str]:
        """Entries as (index, rank score, relevance, coverage), best first; plus the normalised text."""
        # Long texts (a pasted complaint) would cost time without helping the match; the scam check in
        # ``ask`` still sees the whole text.
        question = question[:MAX_QUESTION_CHARS]
        normalized = self.norm.normalize(question)
        toks = self.norm.tokens(question) if normalized else []
        if not toks:
            return [], normalized
        tf: dict[str, int] = defaultdict(int)
        for t in toks:
            tf[t] += 1
        doc_scores: dict[int, float] = defaultdict(float)
        cov_mass: dict[int, float] = defaultdict(float)
        total_mass = 0.0
        for t in tf:
            idf = self._idf.get(t)
            total_mass += idf if idf is not None else self._idf_unseen
            if idf is None:
                continue
            for di, w in self._postings.get(t, ()):
                doc_scores[di] += w
            for ei in self._entry_post.get(t, ()):
                cov_mass[ei] += idf
        self_score = self._self_score(tf, len(toks)) or 1.0
        best: dict[int, float] = {}
        second: dict[int, float] = {}
        for di, s in doc_scores.items():
            ei = self._doc_entry[di]
            if s > best.get(ei, 0.0):
                second[ei] = best.get(ei, 0.0)
                best[ei] = s
            elif s > second.get(ei, 0.0):
                second[ei] = s
        sw = self.p.second_doc_weight
        for ei in best:
            best[ei] = (best[ei] + sw * second.get(ei, 0.0)) / self_score
        out = []
        for ei in set(best) | set(cov_mass):
            rel = best.get(ei, 0.0)
            cov = cov_mass.get(ei, 0.0) / total_mass
            out.append((ei, rel + self.p.coverage_weight * cov, rel, cov))
        out.sort(key=lambda x: -x[1])
        # An entry about a specific subject (企业, 公积金, 助学贷款 …) is a weak candidate for a question
        # that never names that subject. Only the head of the list can change order, so only it is checked.
        head = out[:_REQUIRES_HEAD]
        for i, (ei, score, rel, cov) in enumerate(head):
            req = self._requires[ei]
            if req and not any(t in normalized for t in req):
                head[i] = (ei, score * self.p.requires_factor, rel, cov)
        head.sort(key=lambda x: -x[1])
        return head + out[_REQUIRES_HEAD:], normalized

    def confidence(self, ranked: list[tuple[int, float, float, float]], normalized: str) -> float:
        if not ranked:
            return 0.0
        _, s1, rel, cov = ranked[0]
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = (s1 - s2) / s1 if s1 > 0 else 0.0
        z = self.p.c * cov + self.p.m * margin + self.p.bias
        conf = 1.0 / (1.0 + math.exp(-z))
        if not any(t in normalized for t in self.strong_terms):
            weak = any(t in normalized for t in self.weak_terms)
            conf *= self.p.weak_domain_factor if weak else self.p.no_domain_factor
        return conf

    # ----------------------------------------------------------------------------------- answer
    def ask(self, question: str) -> Answer:
        scam: ScamResult = detect_scam(question)
        ranked, normalized = self.rank(question)
        conf = self.confidence(ranked, normalized)
        candidates = [(self.entries[ei].id, round(score, 4)) for ei, score, _, _ in ranked[:3]]
        plain = light_normalize(question)
        wants_human = any(k in plain for k in _HUMAN_REQUEST)
        if scam.flagged and not wants_human:
            return self._scam_answer(ranked, conf, candidates, scam)
        if ranked and conf >= self.threshold and not wants_human:
            entry = self.entries[ranked[0][0]]
            return Answer(
                intent=entry.id,
                answer=entry.answer,
                confidence=round(conf, 4),
                handoff=False,
                scam_warning=False,
                sources=[entry.source] if entry.source else [],
                candidates=candidates,
                scam_reasons=scam.reasons,
            )
        text = HANDOFF_MESSAGE
        if scam.flagged:  # the person asked for a human: hand over, but still warn
            text = SCAM_WARNING + "\n\n" + text
        return Answer(
            intent=None,
            answer=text,
            confidence=round(conf, 4),
            handoff=True,
            scam_warning=scam.flagged,
            sources=[],
            candidates=candidates,
            scam_reasons=scam.reasons,
        )

    def _is_anti_scam(self, entry: Entry) -> bool:
        return entry.category == "scam" or entry.id == SCAM_FALLBACK_INTENT

    def _scam_answer(
        self,
        ranked: list[tuple[int, float, float, float]],
        conf: float,
        candidates: list[tuple[str, float]],
        scam: ScamResult,
    ) -> Answer:
        # A scam pitch gets an anti-scam answer, never a bare hand-over and never an unrelated entry
        # ("销户能消除逾期吗" is the wrong reply to "花钱删逾期找谁办"). Prefer the best-ranked anti-scam
        # entry among the top few, else the fallback entry, else the warning alone.
        entry: Entry | None = None
        for ei, *_ in ranked[:5]:
            if self._is_anti_scam(self.entries[ei]):
                entry = self.entries[ei]
                break
        if entry is None:
            idx = self._by_id.get(SCAM_FALLBACK_INTENT)
            entry = self.entries[idx] if idx is not None else None
        return Answer(
            intent=entry.id if entry else None,
            answer=with_scam_warning(entry.answer if entry else ""),
            confidence=round(conf, 4),
            handoff=False,
            scam_warning=True,
            sources=[entry.source] if entry and entry.source else [],
            candidates=candidates,
            scam_reasons=scam.reasons,
        )


def load_default_matcher(path: str | Path | None = None, threshold: float | None = None) -> Matcher:
    return Matcher(load_kb(path or default_kb_path()), threshold=threshold)
