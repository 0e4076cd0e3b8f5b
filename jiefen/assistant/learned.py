"""What the assistant learns from labelled questions. Pure Python.

Two things come from data rather than from hand-written rules:

* **Labelled questions** (``data/labelled/*.jsonl``, one file per set, rows ``{"q", "intent",
  "scam"}``): questions people really ask, each with the entry that answers it. A question labelled
  with an entry joins that entry's paraphrases when the matcher is built (``Examples.questions``), so
  the matcher knows many more everyday wordings than the knowledge base's editors wrote. Only ids the
  knowledge base has are used: a centre's own knowledge base with other ids is unaffected.
* **The scam model** (``ScamModel``): a naive Bayes classifier over character 1–3-grams, trained on
  every labelled question's ``scam`` label and on the scam corpus (``data/scam_corpus.jsonl``, rows
  ``{"q", "scam"}``: adverts, relayed offers and requests to hire, and the questions, victims' reports
  and legitimate procedures that share their words). It catches pitches in wordings no rule names;
  the rules in ``scam.py`` keep what they catch and decide the vetoes (a victim's report is never a
  pitch). Training takes a fraction of a second, so the model is built at first use, not shipped as
  weights that could drift from the data.

Each labelled file is a *source*. ``Examples.build(exclude=...)`` leaves sources out, which is how the
benchmark measures each set with a model and paraphrases that never saw it (leave-one-set-out).
"""

from __future__ import annotations

import json
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Self

import numpy as np

from .text import light_normalize, word_list

DATA = Path(__file__).resolve().parent / "data"
LABELLED_DIR = DATA / "labelled"
SCAM_CORPUS = DATA / "scam_corpus.jsonl"
# Only the scam corpus's source name; it is never an evaluation set.
CORPUS_SOURCE = "scam_corpus"


@dataclass(frozen=True)
class Labelled:
    q: str
    intent: str | None
    scam: bool
    source: str


def _jsonl(path: Path, source: str) -> list[Labelled]:
    rows: list[Labelled] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            d = json.loads(line)
            q = str(d["q"]).strip()
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} 第{n}行不是有效的标注问题：{exc}") from exc
        if q:
            rows.append(Labelled(q, d.get("intent") or None, bool(d.get("scam")), source))
    return rows


def labelled_sources() -> list[str]:
    return sorted(p.stem for p in LABELLED_DIR.glob("*.jsonl"))


def labelled_rows(source: str) -> list[Labelled]:
    return _jsonl(LABELLED_DIR / f"{source}.jsonl", source)


# ---------------------------------------------------------------------------------- scam model
_KEEP = re.compile(r"[\u4e00-\u9fffa-z0-9%¥$]")


# Every pinyin syllable: a run of Latin letters that splits into them is pinyin written to dodge
# filters ("zhengxin", "xiufu"); any other run of four or more is an English word.
_PINYIN = frozenset(
    word_list(
        """a ai an ang ao ba bai ban bang bao bei ben beng bi bian biao bie bin bing bo bu ca cai can cang
    cao ce cen ceng cha chai chan chang chao che chen cheng chi chong chou chu chua chuai chuan chuang
    chui chun chuo ci cong cou cu cuan cui cun cuo da dai dan dang dao de dei den deng di dia dian diao
    die ding diu dong dou du duan dui dun duo e ei en eng er fa fan fang fei fen feng fo fou fu ga gai
    gan gang gao ge gei gen geng gong gou gu gua guai guan guang gui gun guo ha hai han hang hao he hei
    hen heng hong hou hu hua huai huan huang hui hun huo ji jia jian jiang jiao jie jin jing jiong jiu
    ju juan jue jun ka kai kan kang kao ke kei ken keng kong kou ku kua kuai kuan kuang kui kun kuo la
    lai lan lang lao le lei leng li lia lian liang liao lie lin ling liu lo long lou lu luan lun luo lv
    lve ma mai man mang mao me mei men meng mi mian miao mie min ming miu mo mou mu na nai nan nang nao
    ne nei nen neng ni nian niang niao nie nin ning niu nong nou nu nuan nuo nv nve o ou pa pai pan pang
    pao pei pen peng pi pian piao pie pin ping po pou pu qi qia qian qiang qiao qie qin qing qiong qiu
    qu quan que qun ran rang rao re ren reng ri rong rou ru rua ruan rui run ruo sa sai san sang sao se
    sen seng sha shai shan shang shao she shei shen sheng shi shou shu shua shuai shuan shuang shui shun
    shuo si song sou su suan sui sun suo ta tai tan tang tao te teng ti tian tiao tie ting tong tou tu
    tuan tui tun tuo wa wai wan wang wei wen weng wo wu xi xia xian xiang xiao xie xin xing xiong xiu xu
    xuan xue xun ya yan yang yao ye yi yin ying yo yong you yu yuan yue yun za zai zan zang zao ze zei
    zen zeng zha zhai zhan zhang zhao zhe zhei zhen zheng zhi zhong zhou zhu zhua zhuai zhuan zhuang
    zhui zhun zhuo zi zong zou zu zuan zui zun zuo"""
    )
)
_LATIN_RUN = re.compile(r"[a-z]{4,}")


def _is_pinyin(word: str) -> bool:
    ok = [True] + [False] * len(word)  # ok[i]: word[:i] splits into syllables
    for i in range(1, len(word) + 1):
        ok[i] = any(ok[j] and word[j:i] in _PINYIN for j in range(max(0, i - 6), i))
    return ok[-1]


def _english_out(text: str) -> str:
    """English words become a break: pitches spell words in pinyin and write 加V, so Latin letters
    lean towards "pitch", and a question asked half in English ("credit report 上面的 overdue 记录多久
    消") would otherwise read as one."""
    return _LATIN_RUN.sub(lambda m: m.group() if _is_pinyin(m.group()) else " ", text)


def scam_features(text: str) -> set[str]:
    """Character 1–3-grams of the lightly normalised text; punctuation and spaces end a run, and the
    text's start and end are marks of their own ("^私信" opens a message, "私信$" closes an advert)."""
    units: list[str] = ["^"]
    for ch in _english_out(light_normalize(text)):
        if _KEEP.match(ch):
            units.append(ch)
        elif units[-1] != "#":
            units.append("#")
    units.append("$")
    out: set[str] = set()
    n = len(units)
    for i in range(n):
        a = units[i]
        if a not in "^#$":
            out.add(a)
        if i + 1 < n:
            b = units[i + 1]
            if "#" not in (a, b):
                out.add(a + b)
                if i + 2 < n and units[i + 2] != "#":
                    out.add(a + b + units[i + 2])
    return out


@dataclass
class NaiveBayes:
    """Bernoulli-style naive Bayes: the log-odds of the positive class summed over the text's distinct
    n-grams.

    ``threshold`` is a log-odds sum, not a probability: naive Bayes over overlapping n-grams counts the
    same evidence several times, so its sums run far from 0 and the threshold is chosen on held-out
    sets (leave-one-set-out), see docs/assistant.md."""

    weights: dict[str, float] = field(default_factory=dict)
    prior: float = 0.0
    threshold: float = 0.0

    ALPHA = 0.5

    @classmethod
    def train(cls, rows: Iterable[tuple[str, bool]], threshold: float | None = None) -> Self:
        pos: Counter[str] = Counter()
        neg: Counter[str] = Counter()
        npos = nneg = 0
        for text, positive in rows:
            feats = scam_features(text)
            if positive:
                pos.update(feats)
                npos += 1
            else:
                neg.update(feats)
                nneg += 1
        if not npos or not nneg:
            return cls()
        a = cls.ALPHA
        weights = {
            g: math.log(((pos[g] + a) / (npos + 2 * a)) / ((neg[g] + a) / (nneg + 2 * a)))
            for g in pos.keys() | neg.keys()
        }
        model = cls(weights, math.log(npos / nneg))
        if threshold is not None:
            model.threshold = threshold
        return model

    def score(self, text: str) -> float:
        if not self.weights:
            return -math.inf
        w = self.weights.get
        return self.prior + sum(w(g, 0.0) for g in scam_features(text))


@dataclass(frozen=True)
class TfIdf:
    """Term weights of the two linear models (``ScamModel``, ``SoftmaxModel``): a term's weight is
    (1 + log tf) x its smoothed inverse document frequency, and a text's vector is scaled to length 1.
    Terms not seen in training are left out."""

    vocab: Mapping[str, int]
    idf: np.ndarray

    @classmethod
    def fit(cls, docs: Iterable[Iterable[str]]) -> TfIdf:
        df: Counter[str] = Counter()
        n = 0
        for toks in docs:
            df.update(set(toks))
            n += 1
        vocab = {t: i for i, t in enumerate(df)}
        return cls(vocab, np.array([math.log((1 + n) / (1 + df[t])) + 1 for t in vocab]))

    def vector(self, toks: Iterable[str]) -> tuple[np.ndarray, np.ndarray]:
        """The text's non-zero terms: their indices and their weights."""
        vocab = self.vocab
        tf = Counter(t for t in toks if t in vocab)
        idx = np.fromiter((vocab[t] for t in tf), dtype=np.int64, count=len(tf))
        val = np.fromiter((1 + math.log(c) for c in tf.values()), dtype=float, count=len(tf)) * self.idf[idx]
        norm = math.sqrt(float(val @ val)) or 1.0
        return idx, val / norm


@dataclass
class ScamModel:
    """A linear support vector machine over the text's character 1–3-grams, each weighted by its
    inverse document frequency and the text's vector scaled to length 1.

    Naive Bayes (this model's first form) weighs every n-gram by itself, so a pitch in a wording
    made of common words ("有人讲伊会当替阮去佮银行讲") scored low; the SVM weighs n-grams against each
    other and caught more pitches at the same false positives, leave-one-set-out over every set:
    98.4 % recall at 1.1 % false positives against 97.7 % at 1.2 % (see docs/assistant.md).

    Trained by dual coordinate descent on the squared hinge loss (Hsieh et al. 2008, the method of
    LIBLINEAR), classes weighted by their size: under a second in numpy for some 10 000 texts, so it is
    built at first use like the rest, not shipped as weights that could drift from the data.
    ``threshold`` is a margin, chosen leave-one-set-out."""

    # None: untrained (no positive or no negative example); such a model never flags.
    terms: TfIdf | None = None
    weights: np.ndarray = field(default_factory=lambda: np.zeros(0))
    bias: float = 0.0
    threshold: float = -0.1
    # At or below this margin the model overrules the hand-written rules (see ``scam.detect_scam``).
    overrule: float = -0.4
    # Above this margin the model is sure: the rules' vetoes (a victim's report, a question about the
    # practice, the centre's own services) no longer hold.
    sure: float = 0.5

    C = 0.5
    EPOCHS = 60
    TOLERANCE = 0.1

    @classmethod
    def train(cls, rows: Iterable[tuple[str, bool]], threshold: float | None = None) -> ScamModel:
        texts: list[set[str]] = []
        labels: list[float] = []
        for text, is_scam in rows:
            texts.append(scam_features(text))
            labels.append(1.0 if is_scam else -1.0)
        npos = labels.count(1.0)
        n = len(labels)
        if not npos or npos == n:
            return cls()
        terms = TfIdf.fit(texts)
        rows_ = [terms.vector(feats) for feats in texts]
        y = np.array(labels)
        # Balanced classes: each class's errors cost in inverse proportion to its size.
        cost = np.where(y > 0, cls.C * n / (2 * npos), cls.C * n / (2 * (n - npos)))
        diag = 1 / (2 * cost)  # the squared hinge loss's diagonal term
        # The bias is a constant feature of value 1 (regularised like the rest, as in LIBLINEAR).
        qii = np.array([float(v @ v) + 1.0 for _, v in rows_]) + diag
        alpha = np.zeros(n)
        w = np.zeros(len(terms.vocab))
        b = 0.0
        order = np.arange(n)
        rng = np.random.default_rng(0)
        for _ in range(cls.EPOCHS):
            rng.shuffle(order)
            pg_max, pg_min = -math.inf, math.inf
            for i in order.tolist():
                idx, val = rows_[i]
                yi, ai = y[i], alpha[i]
                g = yi * (float(w[idx] @ val) + b) - 1 + diag[i] * ai
                pg = min(g, 0.0) if ai == 0 else g
                pg_max, pg_min = max(pg_max, pg), min(pg_min, pg)
                if pg != 0:
                    new = max(ai - g / qii[i], 0.0)
                    d = (new - ai) * yi
                    alpha[i] = new
                    w[idx] += d * val
                    b += d
            if pg_max - pg_min < cls.TOLERANCE:
                break
        model = cls(terms, w, b)
        if threshold is not None:
            model.threshold = threshold
        return model

    def score(self, text: str) -> float:
        if self.terms is None:
            return -math.inf
        idx, val = self.terms.vector(scam_features(text))
        return self.bias + float(self.weights[idx] @ val)

    def flags(self, text: str) -> bool:
        return self.score(text) > self.threshold


@dataclass
class DomainModel(NaiveBayes):
    """Naive Bayes trained to tell the questions labelled out of scope from those with an entry: its
    score is the log-odds of "out of scope". The matcher's domain gate is a word list (征信, 逾期 …); a
    question that names only a product ("经营贷到期了周转不过来能不能晚点还") or no domain word at all
    ("催债的天天打我爸妈电话") is in scope all the same when this model says so clearly. Threshold chosen
    leave-one-set-out (see docs/assistant.md)."""

    threshold: float = -30.0

    def in_scope(self, text: str) -> bool:
        return self.score(text) < self.threshold


# ---------------------------------------------------------------------------------- examples
@dataclass(frozen=True)
class Examples:
    """Labelled questions per entry id, and the scam model trained on the same sources."""

    questions: Mapping[str, tuple[str, ...]]
    scam_model: ScamModel | None
    sources: tuple[str, ...] = ()
    # Questions labelled out of scope (no entry, not a pitch): the matcher's rival for "none of these".
    out_of_scope: tuple[str, ...] = ()
    # Pitches with the entry that answers them (a paid "一次性修复代办" gets the policy's own entry).
    pitches: tuple[tuple[str, str], ...] = ()
    domain_model: DomainModel | None = None

    @classmethod
    def build(cls, exclude: Iterable[str] = (), *, corpus: bool = True) -> Examples:
        """Every labelled source except ``exclude``; the scam corpus too unless ``corpus`` is False."""
        skip = set(exclude)
        sources = tuple(s for s in labelled_sources() if s not in skip)
        rows = [r for s in sources for r in labelled_rows(s)]
        questions: dict[str, list[str]] = {}
        out_of_scope: list[str] = []
        pitches: list[tuple[str, str]] = []
        for r in rows:
            if r.scam and r.intent:
                pitches.append((r.q, r.intent))
            if not r.intent and not r.scam:
                out_of_scope.append(r.q)
            # A pitch ("专业删逾期，加V") is labelled with the anti-scam entry that answers it, but as a
            # paraphrase it would pull honest questions about deleting overdue records to that entry;
            # the scam model learns from it instead.
            if r.intent and not r.scam:
                questions.setdefault(r.intent, []).append(r.q)
        train = [(r.q, r.scam) for r in rows]
        if corpus and SCAM_CORPUS.exists():
            train += [(r.q, r.scam) for r in _jsonl(SCAM_CORPUS, CORPUS_SOURCE)]
        return cls(
            {k: tuple(v) for k, v in questions.items()},
            ScamModel.train(train),
            sources,
            tuple(out_of_scope),
            tuple(pitches),
            DomainModel.train([(r.q, r.intent is None) for r in rows if not r.scam]),
        )


NO_EXAMPLES = Examples({}, None)


@lru_cache(maxsize=1)
def default_examples() -> Examples:
    return Examples.build()


def default_scam_model() -> ScamModel | None:
    return default_examples().scam_model


# ---------------------------------------------------------------------------------- intent model
@dataclass
class SoftmaxModel:
    """Multinomial logistic regression over term lists (the matcher's normalised unigrams and bigrams,
    tf-idf weighted, scaled to length 1): the log-probability of each class.

    The matcher ranks by its best texts (BM25) and their pooled terms (naive Bayes); this model weighs
    the terms against each other across all entries, so the one word that tells two neighbouring
    entries apart counts as much as it should. Added to the ten best it lifted top-1 from 94.9 to 95.4 %
    and out-of-scope hand-over from 95.4 to 97.2 %, leave-one-set-out (see docs/assistant.md). Trained
    by a few epochs of stochastic gradient descent with AdaGrad steps: about a second for the shipped
    knowledge base with its labelled questions."""

    terms: TfIdf
    weights: np.ndarray  # terms x classes
    bias: np.ndarray

    EPOCHS = 4
    RATE = 0.5

    @classmethod
    def train(cls, docs: Sequence[Sequence[str]], labels: Sequence[int], n_classes: int) -> SoftmaxModel:
        terms = TfIdf.fit(docs)
        rows = [terms.vector(toks) for toks in docs]
        n = len(docs)
        w = np.zeros((len(terms.vocab), n_classes))
        b = np.zeros(n_classes)
        sq = np.full((len(terms.vocab), n_classes), 1e-8)  # AdaGrad: each weight's summed squared gradients
        order = np.arange(n)
        rng = np.random.default_rng(0)
        for _ in range(cls.EPOCHS):
            rng.shuffle(order)
            for i in order.tolist():
                idx, val = rows[i]
                z = val @ w[idx] + b
                p = np.exp(z - z.max())
                p /= p.sum()
                p[labels[i]] -= 1  # the gradient of the log-loss in z
                g = np.outer(val, p)
                acc = sq[idx] + g * g
                sq[idx] = acc
                w[idx] -= cls.RATE * g / np.sqrt(acc)
                b -= 0.1 * cls.RATE * p
        return cls(terms, w, b)

    def log_probs(self, toks: Iterable[str]) -> np.ndarray:
        idx, val = self.terms.vector(toks)
        z = val @ self.weights[idx] + self.bias
        z -= z.max()
        return z - math.log(float(np.exp(z).sum()))
