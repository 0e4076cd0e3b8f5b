"""Question -> knowledge-base entry matcher for the 7x24 credit-report assistant. Pure Python.

Ranking (``Matcher.rank``), first stage: BM25 over character unigrams+bigrams of the normalised text,
where every question/paraphrase is its own document and an entry scores by its best document plus
0.6 x its second best, divided by the question's BM25 against itself ("how much of the question does
the best paraphrase explain"). Added to that, twice the entry's *coverage*: the share of the
question's IDF mass found anywhere in the entry (question, paraphrases, keywords). IDF is counted per
entry, so a word repeated across one entry's paraphrases keeps its weight. A long question with a
preamble also has its asking clause (the last one) scored on its own, added with weight 0.3.

Second stage, over the ten best: + the Dice overlap of bigrams with the entry's canonical question,
+ the local discrimination among the five best (``_local``: the question's terms weighted by how few of
those close candidates use them, so the action word that separates two entries on one subject
decides), x 0.5 for an entry whose required subject (企业, 公积金 …) the question never names; and
+ 0.5 for an entry one of whose ``cues`` (word groups, in the knowledge base) the question matches.

Confidence (``Matcher.confidence``): a logistic curve of coverage and of the relative margin over the
runner-up entry, fitted on labelled questions, multiplied by a domain gate: 1 if the question has a
credit-report term, 0.25 if it only names a credit product ("信用卡", "房贷": answered only when the match is
near-certain), 0.2 if neither (always below the threshold), 0.5 instead of either when the learned domain
model is sure the question is in scope (``learned.DomainModel``), and x 0.25 when the question names a subject no
text of the best entry uses (``UNCOVERED_TERMS``). Below ``threshold`` the question goes to a human.
See docs/assistant.md for the design and its numbers.
"""

from __future__ import annotations

import heapq
import math
import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

import numpy as np

from .kb import Entry, default_kb_path, load_kb
from .learned import Examples, SoftmaxModel, default_examples
from .scam import SCAM_WARNING, ScamResult, detect_scam, with_scam_warning
from .text import Normalizer, grams, light_normalize, units, word_list

__all__ = [
    "Answer",
    "Matcher",
    "HANDOFF_MESSAGE",
    "CLARIFY_MESSAGE",
    "default_kb_path",
    "load_default_matcher",
]

HANDOFF_MESSAGE = (
    "这个问题我暂时无法准确回答，已转人工处理。人民银行征信服务窗口的工作人员会尽快答复您，"
    "请留意回复。如需马上了解，也可以换个说法再问我，例如“怎么查征信”“征信有错怎么提异议”。"
)
CLARIFY_MESSAGE = (
    "请具体说说您想了解征信的哪方面，例如：“怎么查征信”“查征信收费吗”“征信有错怎么提异议”"
    "“逾期记录保存多久”“什么是个人声明”。需要人工服务的，请说“转人工”。"
)
SCAM_FALLBACK_INTENT = "dispute.repair_scam"
# The unit that stands for the questions labelled out of scope (see ``Matcher.__init__``); never answered.
OUT_OF_SCOPE_ID = "_out_of_scope"
OUT_OF_SCOPE_QUESTION = "（已标注为范围外的问题）"
# Share of the labelled questions' entries a knowledge base must have for their out-of-scope labels to
# hold for it (the shipped one and its later versions, not a centre's own).
OUT_OF_SCOPE_MIN_SHARE = 0.8
PITCH_NEIGHBOURS = 5
PITCH_MIN_SIMILARITY = 0.1
# What is left of "你好，问个征信的问题" once these go is nothing: the question names no subject yet.
_VAGUE_WORDS = word_list(
    "征信 信用 问题 问 个 的 事情 事 咨询 想 了解 一下 我 关于 方面 有 些 几 请教 啊 吗 呢 点"
)
_VAGUE_RE = re.compile("|".join(sorted(_VAGUE_WORDS, key=len, reverse=True)))

# Terms (in normalised form, see text.py) that make a question about credit reports, credit rescue or
# the centre's services. Strong terms are specific to that domain. Weak terms are bare credit products:
# "信用卡怎么提额" or "房贷利率多少" mention them without being credit-report questions, so a question
# with only weak terms needs a clearly better match, and one with neither is handed over.
STRONG_DOMAIN_TERMS: tuple[str, ...] = word_list(
    "征信 逾期 异议 个人声明 人民银行 查询记录 标注 机构说明 失信被执行人 白户 助航站 "
    "信用救助 催收 调解 司法确认 停息挂账 个性化分期 展期 罚息 违约金 冒用 盗用 冒名 铲单 洗白 "
    "征信修复 1次性 不予展示 免申即享 代理维权 代理投诉 代理退保 诉讼时效 呆账 代偿 担保 保证人 "
    "结清 还不上 还不起 欠款 欠费 欠税 授权委托 云闪付 自助机 自助查 债务 共同借款 共同还款 "
    "宽限期 报送 信用记录 反催收 包下款 下款 声明 晚还 忘还 忘了还 没还 不还 还不了 欠钱 查报告 查几次 "
    "报告上 报告里 报告中 报告显示 本人查询 查询次数 查询多 查询太多 还款记录 身份信息 个人信息 客户经理 "
    "态度 告我 起诉我 被起诉 还能告 影响信用 对信用 信用有影响 "
    # Fifth round: a dispute's outcome, a card debt, an identity misused for a loan.
    "核查 核实 信息无误 信息没错 记录没错 还不动 身份证去借钱 身份证借钱 身份证贷款 身份证办贷 用我身份证 用我的身份证 拿我身份证 拿我的身份证"
)
WEAK_DOMAIN_TERMS: tuple[str, ...] = word_list(
    "贷款 信用卡 信用 销户 网贷 还款 分期 利息 中介 放贷 额度 借呗 花呗 投诉 柜台 经营贷 房贷 车贷 "
    "公积金 助学贷款"
)

# Subjects people ask the credit window about that no shipped entry answers (the centre's phone, hours
# and address, reports for foreigners or for use abroad, delivery, scores, other credit bureaus, a
# report's validity, jobs at the centre, deceased persons, rates and insurance). A question naming one
# of them whose best entry never uses the term is scaled by ``uncovered_factor``: the nearest entry
# answers a different question. An entry that does use the term (a new "征信报告能在国外用吗" entry
# with 国外 in its paraphrases) is not affected, so adding entries needs no change here. A knowledge-base
# file adds its own with the top-level `uncovered_terms` (a centre knows what its window is asked).
UNCOVERED_TERMS: tuple[str, ...] = word_list(
    "电话号码 电话是多少 电话多少 号码是多少 热线 联系方式 邮箱 地址是 地址在 什么位置 在哪个区 "
    "人民银行的地址 人民银行地址 办公地址 具体地址 详细地址 地址在哪 "
    "号码多少 客服电话 上班时间 下班 营业时间 办公时间 开门 关门 几点 周末 周六 周日 节假日 午休 "
    "外国人 外籍 港澳台 护照 军人 军官 "
    "英文 英语 翻译 公证 签证 出国 国外 海外 留学 大使馆 领事馆 使馆 "
    "邮寄 寄到 快递 截图 盖章 纸质版 "
    "评分 信用分 芝麻 支付分 分数 打分 多少分 百行 朴道 "
    "有效期 真伪 验真 防伪 "
    "招聘 考试 公务员 编制 "
    "去世 过世 死亡 遗产 "
    "利率 lpr 理赔 保险公司 车险 "
    "提额 临时额度 额度提升 提升额度 提高额度 调高额度 额度调高 额度怎么提 能提到多少"
)

_REQUIRES_HEAD = 10

# Where a long question's clauses break: punctuation, and the words people put before the real question.
_CLAUSE_RE = re.compile(
    r"[，。？！?!,.;；、\s]+|请问|想问一下|想问|问一下|我想知道|想知道|想咨询一下|想咨询|咨询一下"
)
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
    second_doc_weight: float = 0.6
    requires_factor: float = 0.5
    # Added to the rank score of an entry one of whose ``cues`` the question matches (see ``_cue_hits``).
    cue_weight: float = 0.5
    core_weight: float = 0.3
    core_min_len: int = 16
    canon_weight: float = 1.0
    # Local discrimination among the ``local_head`` best; ``local_share`` is the exponent on the share
    # of an entry's texts using a term (0 = mere presence: worse). Weight 2 and exponent 0.5 (with
    # the second document at 0.6) since the labelled questions joined the index: 92.9 -> 93.8 % top-1
    # leave-one-set-out over every set, hand-over unchanged (weight 1, exponent 1, 0.3 before).
    local_weight: float = 2.0
    local_head: int = 5
    local_share: float = 0.5
    # Naive Bayes over every text of an entry, among the ten best: the log-likelihood of the question's
    # terms under each entry's term distribution, per term, relative to the best of them (<= 0).
    nb_weight: float = 1.0
    nb_alpha: float = 0.1
    # Multinomial logistic regression over every unit's texts (``learned.SoftmaxModel``), among the ten
    # best: its log-probability of each candidate, times this weight.
    softmax_weight: float = 0.6
    # Logistic calibration z = c*coverage + m*margin + bias, fitted on the evaluation set together with a
    # batch of questions written after the knowledge base had last been extended (so the fit sees how
    # unseen wording scores). See docs/assistant.md.
    c: float = 7.29
    m: float = 1.80
    bias: float = -2.87
    weak_domain_factor: float = 0.25
    no_domain_factor: float = 0.2
    uncovered_factor: float = 0.25
    # The gate for a question the learned domain model clearly places in scope (see learned.DomainModel).
    learned_domain_factor: float = 0.5


@lru_cache(maxsize=4)
def _softmax(docs: tuple[tuple[str, ...], ...], labels: tuple[int, ...], n_units: int) -> SoftmaxModel:
    """Trained once per distinct set of texts: building a matcher again on the same knowledge base
    and examples (tests, the staff page's reload) costs no second training."""
    return SoftmaxModel.train(docs, labels, n_units)


def _margin(s1: float, s2: float) -> float:
    """The best score's lead over the runner-up, relative to the best, at most 1. The rerank terms are
    relative log-likelihoods (<= 0), so the runner-up can score below 0 and the best barely above it;
    uncapped, that lead over a near-zero best would read as near-certainty."""
    return min(1.0, (s1 - s2) / s1) if s1 > 0 else 0.0


def bigrams(normalized: str) -> list[str]:
    u = units(normalized)
    return [u[i] + u[i + 1] for i in range(len(u) - 1)]


class Matcher:
    """Match questions against a knowledge base. Build once; ``ask`` is read-only and thread-safe."""

    # Chosen leave-one-set-out over the labelled sets written as people ask (not the train_* sets, which
    # spread evenly over every entry): the value with the widest margin over both targets, 95 % top-1
    # and 90 % of out-of-scope questions handed over. See docs/assistant.md.
    DEFAULT_THRESHOLD = 0.24

    def __init__(
        self,
        entries: Sequence[Entry],
        threshold: float | None = None,
        examples: Examples | None = None,
        **params: float,
    ) -> None:
        if not entries:
            raise ValueError("知识库为空，无法建立索引")
        self.entries = list(entries)
        # Labelled questions join their entry's paraphrases; their scam labels trained the scam model.
        self.examples = default_examples() if examples is None else examples
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
        uncovered = (*UNCOVERED_TERMS, *(getattr(entries, "uncovered_terms", []) or []))
        self.uncovered_terms = tuple({n for t in uncovered if (n := self.norm.normalize(t))})
        self._by_id = {e.id: i for i, e in enumerate(self.entries)}
        # Questions labelled out of scope are indexed as one more, unanswerable unit after the entries:
        # when one of them is the closest text the question goes to a human, and when one is a close
        # runner-up the margin (and so the confidence) shrinks.
        self._units = list(self.entries)
        self._oos = -1
        # What was learned from labels holds only for the knowledge base they were labelled against.
        self._labelled_here = self._labelled_for_this_kb()
        self._domain = self.examples.domain_model if self._labelled_here else None
        self._pitches: list[tuple[set[str], int]] = []
        if self._labelled_here:
            for q, intent in self.examples.pitches:
                if (ei := self._by_id.get(intent)) is not None and (
                    grams_ := set(bigrams(self.norm.normalize(q)))
                ):
                    self._pitches.append((grams_, ei))
        if out_of_scope := self._out_of_scope_examples():
            self._oos = len(self._units)
            self._units.append(Entry(OUT_OF_SCOPE_ID, "", OUT_OF_SCOPE_QUESTION, out_of_scope, ""))
        # Subject terms an entry needs ("requires"): without any of them its score is scaled down.
        self._requires: list[tuple[str, ...]] = [
            tuple({n for t in e.extra.get("requires", ()) if (n := self.norm.normalize(t))})
            for e in self._units
        ]
        # Cues: per entry, lists of (required word groups, excluded words), see ``_cue_hits``.
        self._cues: list[tuple[int, tuple[tuple[str, ...], ...], tuple[str, ...]]] = []
        for ei, e in enumerate(self.entries):
            for cue in e.extra.get("cues", ()) or ():
                need: list[tuple[str, ...]] = []
                avoid: list[str] = []
                for group in cue.split():
                    neg = group.startswith("!")
                    alts = tuple({n for a in group.lstrip("!").split("|") if (n := self.norm.normalize(a))})
                    if neg:
                        avoid.extend(alts)
                    elif alts:
                        need.append(alts)
                if need:
                    self._cues.append((ei, tuple(need), tuple(avoid)))
        self._build()

    def _out_of_scope_examples(self) -> list[str]:
        """The labelled out-of-scope questions that still are. They were labelled against the shipped
        knowledge base: a centre's own knowledge base, which lacks most of the labelled entries, may
        well answer them, so it gets none. A question an editor has since written into an entry (a
        hand-over turned into a paraphrase) is in scope now and is dropped."""
        if not self.examples.out_of_scope or not self._labelled_here:
            return []
        stated = {self.norm.normalize(t) for e in self.entries for t in (e.question, *e.paraphrases)}
        return [q for q in self.examples.out_of_scope if self.norm.normalize(q) not in stated]

    def _labelled_for_this_kb(self) -> bool:
        labelled = set(self.examples.questions)
        return bool(labelled) and len(labelled & self._by_id.keys()) >= OUT_OF_SCOPE_MIN_SHARE * len(labelled)

    def _pitch_entry(self, normalized: str) -> int | None:
        """The entry most of the closest labelled pitches were given: the five nearest by bigram Dice
        vote with their similarity (one nearest alone is right less often: 301 against 331 of 364
        pitches, leave-one-set-out); none when even the nearest shares almost nothing."""
        q = set(bigrams(normalized))
        if not q or not self._pitches:
            return None
        sims = heapq.nlargest(
            PITCH_NEIGHBOURS,
            ((2 * len(q & grams_) / (len(q) + len(grams_)), ei) for grams_, ei in self._pitches),
        )
        if not sims or sims[0][0] < PITCH_MIN_SIMILARITY:
            return None
        votes: dict[int, float] = defaultdict(float)
        for d, ei in sims:
            votes[ei] += d
        return max(votes, key=votes.__getitem__)

    # ----------------------------------------------------------------------------------- index
    def _build(self) -> None:
        k1, b = self.p.k1, self.p.b
        doc_tokens: list[list[str]] = []
        self._doc_entry: list[int] = []
        entry_vocab: list[set[str]] = []
        # Per entry, the share of its texts that use each term (keywords count as one text).
        self._share: list[dict[str, float]] = []
        # Per entry, how often each term occurs in its texts (the naive Bayes term distribution).
        self._nb_counts: list[dict[str, int]] = []
        for ei, e in enumerate(self._units):
            vocab: set[str] = set()
            counts: dict[str, int] = defaultdict(int)
            term_counts: dict[str, int] = defaultdict(int)
            n_texts = 0
            for text in (e.question, *e.paraphrases, *self.examples.questions.get(e.id, ())):
                toks = self.norm.tokens(text)
                if not toks:
                    continue
                doc_tokens.append(toks)
                self._doc_entry.append(ei)
                vocab.update(toks)
                n_texts += 1
                for t in toks:
                    term_counts[t] += 1
                for t in set(toks):
                    counts[t] += 1
            kw: set[str] = set()
            for k in e.keywords:
                kw.update(self.norm.tokens(k))
            for t in kw:
                counts[t] += 1
            self._share.append({t: c / (n_texts + 1) for t, c in counts.items()})
            self._nb_counts.append(term_counts)
            vocab.update(kw)
            entry_vocab.append(vocab)
        # Documents are numbered entry by entry: per entry that has any, its first document and count.
        owners = sorted(set(self._doc_entry))
        self._owners = np.array(owners, dtype=np.intp)
        self._starts = np.array([self._doc_entry.index(ei) for ei in owners], dtype=np.intp)
        self._counts = np.array([self._doc_entry.count(ei) for ei in owners], dtype=np.intp)
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
        # Parallel tuples (documents, weights) per term: the inner loop of _score runs over them.
        self._postings = {
            t: (np.array([d for d, _ in p], dtype=np.intp), np.array([w for _, w in p]))
            for t, p in postings.items()
        }
        self._n_docs = len(doc_tokens)
        self._softmax = (
            _softmax(tuple(map(tuple, doc_tokens)), tuple(self._doc_entry), len(self._units))
            if self.p.softmax_weight and doc_tokens
            else None
        )
        vocab_size = len(self._postings)
        a = self.p.nb_alpha
        self._nb_denom = [math.log(sum(c.values()) + a * vocab_size) for c in self._nb_counts]

        entry_post: dict[str, list[int]] = defaultdict(list)
        for ei, vocab in enumerate(entry_vocab):
            if ei == self._oos:  # its texts are unrelated questions: coverage is per text (see _score)
                continue
            for t in vocab:
                entry_post[t].append(ei)
        self._entry_post = {t: np.array(eis, dtype=np.intp) for t, eis in entry_post.items()}

        self._canon_sets = [set(bigrams(self.norm.normalize(e.question))) for e in self.entries]
        if self._oos >= 0:
            self._canon_sets.append(set())  # no canonical wording to overlap with
            self._oos_start = self._doc_entry.index(self._oos)
            # Per out-of-scope text, its terms: its coverage of a question is counted text by text.
            self._oos_terms = [set(toks) for toks in doc_tokens[self._oos_start :]]
        # Each entry's texts, normalised, for the "does the entry talk about this subject" check.
        self._entry_text = [
            "|".join(
                self.norm.normalize(t)
                for t in (e.question, *e.paraphrases, *self.examples.questions.get(e.id, ()), *e.keywords)
            )
            for e in self._units
        ]

    # ----------------------------------------------------------------------------------- scoring
    def _self_score(self, tf: dict[str, int], qlen: int) -> float:
        k1, b = self.p.k1, self.p.b
        norm = k1 * (1 - b + b * qlen / self._avgdl)
        unseen = self._idf_unseen
        return sum(self._idf.get(t, unseen) * f * (k1 + 1) / (f + norm) for t, f in tf.items())

    def _score(self, toks: list[str]) -> tuple[dict[int, float], dict[int, float]]:
        """BM25 relevance and coverage per entry for one token list (see the module docstring)."""
        tf: dict[str, int] = defaultdict(int)
        for t in toks:
            tf[t] += 1
        # Arrays indexed by document and by entry: a term adds its weights to all its documents in one
        # numpy operation, which keeps a question's cost flat as labelled questions join the index.
        acc = np.zeros(self._n_docs)
        cov_mass = np.zeros(len(self._units))
        total_mass = 0.0
        idf_get, postings, entry_post = self._idf.get, self._postings, self._entry_post
        for t in tf:
            idf = idf_get(t)
            if idf is None:
                total_mass += self._idf_unseen
                continue
            total_mass += idf
            posting = postings.get(t)
            if posting is not None:
                acc[posting[0]] += posting[1]  # a term's documents are distinct: no repeated index
            eis = entry_post.get(t)
            if eis is not None:
                cov_mass[eis] += idf
        self_score = self._self_score(tf, len(toks)) or 1.0
        # An entry's documents are contiguous: its best and second-best document by reduceat over the
        # entries' slices (BM25 weights are positive; an untouched document scores 0). A tie for the
        # best makes the second as good as the best.
        starts, counts, owners = self._starts, self._counts, self._owners
        best = np.maximum.reduceat(acc, starts)
        is_best = acc == np.repeat(best, counts)
        second = np.maximum.reduceat(np.where(is_best, 0.0, acc), starts)
        second = np.where(np.add.reduceat(is_best, starts) >= 2, best, second)
        relv = (best + self.p.second_doc_weight * second) / self_score
        rel = {int(owners[i]): float(relv[i]) for i in np.flatnonzero(best > 0)}
        cov = {int(ei): float(cov_mass[ei] / total_mass) for ei in np.flatnonzero(cov_mass)}
        if self._oos in rel:  # the out-of-scope unit's coverage is that of its best text alone
            terms = self._oos_terms[int(np.argmax(acc[self._oos_start :]))]
            cov[self._oos] = sum(self._idf[t] for t in tf if t in terms) / total_mass
        return rel, cov

    def rank(self, question: str) -> tuple[list[tuple[int, float, float, float]], str]:
        """The ten best entries as (index, rank score, relevance, coverage), best first; plus the normalised
        text."""
        ranked, normalized, _ = self._rank(question)
        return ranked, normalized

    def _rank(self, question: str) -> tuple[list[tuple[int, float, float, float]], str, str | None]:
        # Long texts (a pasted complaint) would cost time without helping the match; the scam check in
        # ``ask`` still sees the whole text.
        question = question[:MAX_QUESTION_CHARS]
        normalized = self.norm.normalize(question)
        toks = grams(normalized) if normalized else []
        if not toks:
            return [], normalized, None
        rel, cov = self._score(toks)
        # A long question with a story in front: the clause that asks carries the topic, so it is
        # scored again on its own and added (its coverage also stands for the whole in the confidence).
        core = self._core(question, normalized)
        crel, ccov = self._score(grams(core)) if core else ({}, {})
        p = self.p
        cued = self._cue_hits(normalized)
        out = []
        for ei in set(rel) | set(cov):
            r, c = rel.get(ei, 0.0), cov.get(ei, 0.0)
            score = r + p.coverage_weight * c
            if ei in cued:
                score += p.cue_weight
            if core:
                score += p.core_weight * (crel.get(ei, 0.0) + p.coverage_weight * ccov.get(ei, 0.0))
                c = max(c, ccov.get(ei, 0.0))
            out.append((ei, score, r, c))
        # Only the head can change order below; the rest need no sorting.
        out = heapq.nlargest(_REQUIRES_HEAD, out, key=lambda x: x[1])
        # Second stage over the head of the list: word overlap with the entry's canonical question (the
        # reviewed wording of what the entry answers), the terms that tell the closest candidates
        # apart, and the subject an entry requires.
        head = out[:_REQUIRES_HEAD]
        qset = set(bigrams(core or normalized))
        local = self._local(toks, [ei for ei, *_ in head[: p.local_head]]) if p.local_weight else {}
        nb = self._nb(toks, [ei for ei, *_ in head]) if p.nb_weight else {}
        lp = None
        if self._softmax is not None and head:
            # Relative to the likeliest of the ten, as the naive Bayes term: the best keeps its score.
            lp = self._softmax.log_probs(toks)
            lp = lp - max(lp[ei] for ei, *_ in head)
        for i, (ei, score, r, c) in enumerate(head):
            canon = self._canon_sets[ei]
            if qset and canon:
                score += p.canon_weight * 2 * len(qset & canon) / (len(qset) + len(canon))
            score += p.local_weight * local.get(ei, 0.0) + p.nb_weight * nb.get(ei, 0.0)
            if lp is not None:
                score += p.softmax_weight * float(lp[ei])
            req = self._requires[ei]
            if req and not any(t in normalized for t in req):
                score *= p.requires_factor
            head[i] = (ei, score, r, c)
        head.sort(key=lambda x: -x[1])
        return head, normalized, core

    def _cue_hits(self, normalized: str) -> set[int]:
        """Entries with a cue the question matches: every word group of the cue has one of its
        alternatives in the question, and none of its excluded words is there. A cue states the kind of
        question an entry answers ("撤销|删除|修改 个人声明" for withdrawing a statement) in words the
        knowledge base can extend, where the paraphrases alone leave two neighbours nearly tied."""
        hits: set[int] = set()
        for ei, need, avoid in self._cues:
            if ei in hits:
                continue
            if all(any(a in normalized for a in g) for g in need) and not any(a in normalized for a in avoid):
                hits.add(ei)
        return hits

    def _local(self, toks: list[str], eis: list[int]) -> dict[int, float]:
        """How well each of a few close candidates is told apart from the others by the question's
        terms: a term every candidate uses (个人声明 among the statement entries) says nothing here,
        a term only one of them uses (撤 for withdrawing) says a lot."""
        n = len(eis)
        if n < 2:
            return {}
        shares = [self._share[ei] for ei in eis]
        ls = self.p.local_share
        mass = [0.0] * n
        total = 0.0
        for t in set(toks):
            idf = self._idf.get(t)
            if idf is None:
                continue
            present = [sh.get(t, 0.0) for sh in shares]
            k = sum(1 for x in present if x > 0)
            if k == 0 or k == n:  # used by none or by all of them: tells nothing apart
                continue
            w = idf * math.log(n / k)
            total += w
            for i, x in enumerate(present):
                if x > 0:
                    mass[i] += w * (x**ls)
        if total <= 0:
            return {}
        return {ei: mass[i] / total for i, ei in enumerate(eis)}

    def _nb(self, toks: list[str], eis: list[int]) -> dict[int, float]:
        """Per candidate, the naive Bayes log-likelihood of the question's terms under the candidate's
        texts, per term and relative to the best candidate: 0 for the likeliest, negative for the rest.
        BM25 scores a question by its best-matching texts; this weighs every text of the entry, so
        the many labelled wordings of an entry count together (97.2 % against 95.5 % top-1 of the
        ranking alone, leave-one-set-out)."""
        if len(eis) < 2 or not toks:
            return {}
        a = self.p.nb_alpha
        ll = {}
        for ei in eis:
            counts, denom = self._nb_counts[ei], self._nb_denom[ei]
            ll[ei] = sum(math.log(counts.get(t, 0) + a) for t in toks) - len(toks) * denom
        top = max(ll.values())
        return {ei: (v - top) / len(toks) for ei, v in ll.items()}

    def _core(self, question: str, normalized: str) -> str | None:
        """The last clause that asks something, when the question is long enough to have a preamble."""
        if len(normalized) < self.p.core_min_len:
            return None
        parts = [self.norm.normalize(x) for x in _CLAUSE_RE.split(question)]
        parts = [x for x in parts if len(x) >= 3]
        if len(parts) < 2:
            return None
        # The asking clause is usually last; a short tail ("是吗", "怎么办") is joined to the one before.
        core = parts[-1]
        if len(core) < 6:
            core = parts[-2] + core
        return core if core != normalized else None

    def confidence(
        self,
        ranked: list[tuple[int, float, float, float]],
        normalized: str,
        core: str | None = None,
        question: str = "",
    ) -> float:
        if not ranked or ranked[0][0] == self._oos:  # none, or closest to a question no entry answers
            return 0.0
        _, s1, rel, cov = ranked[0]
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        margin = _margin(s1, s2)
        z = self.p.c * cov + self.p.m * margin + self.p.bias
        conf = 1.0 / (1.0 + math.exp(-z))
        if not any(t in normalized for t in self.strong_terms):
            weak = any(t in normalized for t in self.weak_terms)
            factor = self.p.weak_domain_factor if weak else self.p.no_domain_factor
            if question and self._domain is not None and self._domain.in_scope(question):
                factor = max(factor, self.p.learned_domain_factor)
            conf *= factor
        if self.p.uncovered_factor < 1 and self._uncovered(ranked[0][0], normalized):
            conf *= self.p.uncovered_factor
        return conf

    def _uncovered(self, ei: int, normalized: str) -> bool:
        """The question names a subject no text of the entry uses (see ``UNCOVERED_TERMS``)."""
        text = self._entry_text[ei]
        return any(t in normalized and t not in text for t in self.uncovered_terms)

    # ----------------------------------------------------------------------------------- answer
    def ask(self, question: str) -> Answer:
        scam: ScamResult = detect_scam(question, self.examples.scam_model)
        ranked, normalized, core = self._rank(question)
        conf = self.confidence(ranked, normalized, core, question)
        candidates = [
            (self.entries[ei].id, round(score, 4)) for ei, score, _, _ in ranked if ei != self._oos
        ][:3]
        plain = light_normalize(question)
        wants_human = any(k in plain for k in _HUMAN_REQUEST)
        if scam.flagged and not wants_human:
            return self._scam_answer(ranked, conf, candidates, scam, normalized)
        if normalized and not wants_human and not _VAGUE_RE.sub("", normalized):
            # Only "征信" and small talk: ask what about, rather than guess an entry or queue it.
            return Answer(None, CLARIFY_MESSAGE, 0.0, False, False, [], candidates, scam.reasons)
        if ranked and ranked[0][0] != self._oos and conf >= self.threshold and not wants_human:
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

    def explain(self, question: str, top: int = 5) -> dict:
        """Everything behind one answer, for the staff test page: the normalised text, the domain
        gate, and the best entries with their score parts."""
        ranked, normalized, core = self._rank(question)
        conf = self.confidence(ranked, normalized, core, question)
        if any(t in normalized for t in self.strong_terms):
            domain = "strong"
        elif any(t in normalized for t in self.weak_terms):
            domain = "weak"
        else:
            domain = "none"
        s1 = ranked[0][1] if ranked else 0.0
        s2 = ranked[1][1] if len(ranked) > 1 else 0.0
        return {
            "answer": self.ask(question),
            "normalized": normalized,
            "tokens": self.norm.tokens(question[:MAX_QUESTION_CHARS]),
            "confidence": round(conf, 4),
            "threshold": self.threshold,
            "domain": domain,
            "margin": round(_margin(s1, s2), 4),
            "candidates": [
                {
                    "id": self._units[ei].id,
                    "question": self._units[ei].question,
                    "score": round(score, 4),
                    "relevance": round(rel, 4),
                    "coverage": round(cov, 4),
                }
                for ei, score, rel, cov in ranked[:top]
            ],
        }

    def _is_anti_scam(self, entry: Entry) -> bool:
        return entry.category == "scam" or entry.id == SCAM_FALLBACK_INTENT

    def _scam_answer(
        self,
        ranked: list[tuple[int, float, float, float]],
        conf: float,
        candidates: list[tuple[str, float]],
        scam: ScamResult,
        normalized: str,
    ) -> Answer:
        # A scam pitch gets an anti-scam answer, never a bare hand-over and never an unrelated entry
        # ("销户能消除逾期吗" is the wrong reply to "花钱删逾期找谁办"). First the entry of the closest
        # labelled pitch (which knows that a paid "一次性修复代办" is best answered by the policy's own
        # entry), else the best-ranked anti-scam entry among the top few, else the fallback entry, else
        # the warning alone.
        entry: Entry | None = None
        if (pi := self._pitch_entry(normalized)) is not None:
            entry = self.entries[pi]
        for ei, *_ in ranked[:5] if entry is None else ():
            if ei != self._oos and self._is_anti_scam(self.entries[ei]):
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
