"""Benchmark of the credit-report assistant: accuracy, hand-over, scam detection, latency.

Run from the repository root (pure Python, no Django needed):

    python bench/assistant.py [--kb FILE] [--sets a,b,...] [--eval FILE] [--threshold T]

Prints one JSON line. Every labelled set in ``jiefen/assistant/data/labelled/`` (or those in
``--sets``) is measured leave-one-set-out: the matcher learns paraphrases, out-of-scope questions,
pitches and its scam model from every other set, never from the one measured. Each set's figures
carry ``first_measurement``, recorded when the set was first measured (``FIRST_MEASUREMENTS``, see
docs/assistant.md for what each set was and what was read when); ``all_sets`` pools them; ``--eval``
also measures a file of your own, learning from every set. Latency is measured on the knowledge base
padded to 200 entries (see ``pad_kb``), over every question of all sets, repeated: ``p50_ms``/``p99_ms``
are CPU time of the answering thread (the cost of a question), ``*_wall_ms`` wall-clock time (which also
shows how busy the machine is; see ``load_avg_1m``). ``reference`` is a plain character-bigram BM25 over
the knowledge base alone (raw text, no normalisation, no synonyms, no threshold), measured in the same
run on every set.

Evaluation file: JSON lines ``{"q": str, "intent": id | null, "scam": bool}``.
- top1_in_scope: share of rows with an intent where ``ask`` returns exactly that intent (a hand-over
  counts as a miss).
- handoff_out_of_scope: share of rows with ``intent: null`` and ``scam: false`` that are handed over.
  Rows with ``intent: null`` and ``scam: true`` are scam pitches: they count only for the scam metrics.
- scam_recall / scam_fpr: ``scam_warning`` over rows labelled scam true / false.
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from jiefen.assistant.kb import Entry, KnowledgeBase, default_kb_path, load_kb  # noqa: E402
from jiefen.assistant.learned import Examples, labelled_rows, labelled_sources  # noqa: E402
from jiefen.assistant.matcher import Matcher  # noqa: E402

PAD_TO = 200
REPEATS = 5

# Padding uses realistic neighbouring topics (bank-service questions a centre would plausibly add
# later), each cloned into variants with distinct ids, so the index has 200 entries whose vocabulary
# overlaps the real one the way a grown knowledge base would.
_PAD_TOPICS = [
    ("银行卡挂失", ["银行卡丢了怎么挂失", "卡被偷了要不要冻结", "挂失后多久补卡", "借记卡挂失要带什么"]),
    ("存款利率", ["定期存款利率多少", "大额存单怎么买", "存款到期自动转存吗", "活期利息怎么算"]),
    ("理财风险", ["理财产品亏了怎么办", "风险评估怎么做", "理财能提前赎回吗", "银行理财保本吗"]),
    ("转账限额", ["手机银行转账限额", "跨行转账多久到账", "转错账了怎么追回", "转账手续费多少"]),
    ("房贷提前还款", ["房贷能提前还吗", "提前还款有违约金吗", "提前还款怎么预约", "还一部分房贷划算吗"]),
    ("车险理赔", ["车险理赔要什么材料", "理赔多久到账", "小刮蹭要不要走保险", "保险公司拒赔怎么办"]),
    ("外汇兑换", ["美元怎么换", "每人每年换汇额度", "外币现钞怎么存", "出国换钱去哪个银行"]),
    ("社保卡", ["社保卡怎么激活", "社保卡丢了怎么补办", "社保卡能取钱吗", "社保卡密码忘了"]),
    ("网点服务", ["银行几点下班", "周末网点营业吗", "预约取现怎么弄", "网点排队太久"]),
    ("手机银行", ["手机银行登录不上", "手机银行密码忘了", "怎么开通手机银行", "手机银行怎么注销"]),
    ("养老金", ["养老金怎么领取", "养老保险交多少年", "退休金什么时候到账", "养老金能提前取吗"]),
    ("反洗钱", ["为什么账户被限制", "大额取现要说明用途吗", "账户被冻结怎么解冻", "开户为什么要问职业"]),
    ("数字人民币", ["数字人民币怎么开通", "数字钱包安全吗", "数字人民币能取现吗", "数字人民币怎么消费"]),
    ("保险退保", ["保险怎么退保", "退保能退多少钱", "犹豫期退保全额退吗", "保单贷款怎么申请"]),
]


def pad_kb(entries: list[Entry], size: int = PAD_TO) -> KnowledgeBase:
    out = KnowledgeBase(list(entries), getattr(entries, "synonyms", {}), getattr(entries, "domain_terms", []))
    fillers = ["", "请问", "我想知道", "想咨询一下"]
    i = 0
    while len(out) < size:
        name, questions = _PAD_TOPICS[i % len(_PAD_TOPICS)]
        variant = i // len(_PAD_TOPICS)
        prefix = fillers[variant % len(fillers)]
        paraphrases = [prefix + q for q in questions[1:]] + [f"{name}的问题第{variant + 1}类"]
        out.append(
            Entry(
                id=f"pad.{i:03d}",
                category="pad",
                question=prefix + questions[0],
                paraphrases=paraphrases,
                answer=f"关于{name}，请咨询开户银行。",
                keywords=[name],
            )
        )
        i += 1
    return out


# ---------------------------------------------------------------------------------- reference
class BigramBM25:
    """Plain baseline: raw character bigrams, one document per question/paraphrase, entry = best doc."""

    def __init__(self, entries: list[Entry], k1: float = 1.2, b: float = 0.75) -> None:
        self.ids = [e.id for e in entries]
        docs: list[list[str]] = []
        self.doc_entry: list[int] = []
        for ei, e in enumerate(entries):
            for text in (e.question, *e.paraphrases):
                docs.append(self._grams(text))
                self.doc_entry.append(ei)
        df: dict[str, int] = defaultdict(int)
        for d in docs:
            for t in set(d):
                df[t] += 1
        n = len(docs)
        avgdl = sum(len(d) for d in docs) / n
        idf = {t: math.log(1 + (n - f + 0.5) / (f + 0.5)) for t, f in df.items()}
        self.post: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for di, d in enumerate(docs):
            tf: dict[str, int] = defaultdict(int)
            for t in d:
                tf[t] += 1
            norm = k1 * (1 - b + b * len(d) / avgdl)
            for t, f in tf.items():
                self.post[t].append((di, idf[t] * f * (k1 + 1) / (f + norm)))

    @staticmethod
    def _grams(text: str) -> list[str]:
        s = re.sub(r"\s+", "", text)
        return [s[i : i + 2] for i in range(len(s) - 1)] or [s]

    def top1(self, q: str) -> str | None:
        scores: dict[int, float] = defaultdict(float)
        for t in set(self._grams(q)):
            for di, w in self.post.get(t, ()):
                scores[di] += w
        if not scores:
            return None
        best = max(scores, key=scores.__getitem__)
        return self.ids[self.doc_entry[best]]


def _percentile(values: list[float], p: float) -> float:
    v = sorted(values)
    k = min(len(v) - 1, max(0, math.ceil(p / 100 * len(v)) - 1))
    return v[k]


def _latency(fn, questions: list[str]) -> dict[str, float]:
    """Per-question time: CPU time of this thread (what a question costs) and wall-clock time (what
    it costs on this machine right now, other processes included)."""
    for q in questions[:20]:  # warm caches (regex compilation, zhconv tables)
        fn(q)
    gc.collect()
    cpu, wall = [], []
    for _ in range(REPEATS):
        for q in questions:
            c0, w0 = time.thread_time_ns(), time.perf_counter_ns()
            fn(q)
            wall.append((time.perf_counter_ns() - w0) / 1e6)
            cpu.append((time.thread_time_ns() - c0) / 1e6)
    return {
        "p50_ms": round(_percentile(cpu, 50), 3),
        "p99_ms": round(_percentile(cpu, 99), 3),
        "p50_wall_ms": round(_percentile(wall, 50), 3),
        "p99_wall_ms": round(_percentile(wall, 99), 3),
    }


def _rows(path: str | Path) -> list[dict]:
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def _metrics(ask, rows: list[dict]) -> dict:
    in_scope = [r for r in rows if r.get("intent")]
    out_scope = [r for r in rows if not r.get("intent") and not r.get("scam")]
    scam_pos = [r for r in rows if r.get("scam")]
    scam_neg = [r for r in rows if not r.get("scam")]
    answers = {r["q"]: ask(r["q"]) for r in rows}
    return {
        "top1_in_scope": round(
            sum(answers[r["q"]].intent == r["intent"] for r in in_scope) / max(1, len(in_scope)), 4
        ),
        "handoff_out_of_scope": round(
            sum(answers[r["q"]].handoff for r in out_scope) / max(1, len(out_scope)), 4
        ),
        "scam_recall": round(sum(answers[r["q"]].scam_warning for r in scam_pos) / max(1, len(scam_pos)), 4),
        "scam_fpr": round(sum(answers[r["q"]].scam_warning for r in scam_neg) / max(1, len(scam_neg)), 4),
        "n_in_scope": len(in_scope),
        "n_out_of_scope": len(out_scope),
        "n_scam": len(scam_pos),
        "n_not_scam": len(scam_neg),
    }


def _pooled(figures: list[dict]) -> dict:
    """The figures of several sets as if they were one."""
    pairs = (
        ("top1_in_scope", "n_in_scope"),
        ("handoff_out_of_scope", "n_out_of_scope"),
        ("scam_recall", "n_scam"),
        ("scam_fpr", "n_not_scam"),
    )
    out: dict = {}
    for key, n in pairs:
        total = sum(f[n] for f in figures)
        out[key] = round(sum(f[key] * f[n] for f in figures) / max(1, total), 4)
        out[n] = total
    return out


def _ref_top1(ref: BigramBM25, rows: list[dict]) -> float:
    in_scope = [r for r in rows if r.get("intent")]
    return round(sum(ref.top1(r["q"]) == r["intent"] for r in in_scope) / max(1, len(in_scope)), 4)


# Each unseen set measured once with the matcher and knowledge base as they were before the round
# that used it; that code is no longer in the tree, so the figures are recorded, not re-measured.
# See docs/assistant.md.
FIRST_MEASUREMENTS = {
    # The first assistant commit's matcher, threshold 0.4.
    "holdout": {"top1_in_scope": 0.801, "handoff_out_of_scope": 1.0, "scam_recall": 0.84, "scam_fpr": 0.0131},
    # Before the second round, threshold 0.35.
    "fresh": {"top1_in_scope": 0.7748, "handoff_out_of_scope": 0.8438, "scam_recall": 1.0, "scam_fpr": 0.028},
    "fresh2": {"top1_in_scope": 0.8, "handoff_out_of_scope": 0.8, "scam_recall": 1.0, "scam_fpr": 0.05},
    # Before the third round, threshold 0.38.
    "fresh3": {
        "top1_in_scope": 0.8364,
        "handoff_out_of_scope": 0.8571,
        "scam_recall": 0.9545,
        "scam_fpr": 0.0149,
    },
    "fresh4": {"top1_in_scope": 0.76, "handoff_out_of_scope": 0.8, "scam_recall": 1.0, "scam_fpr": 0.008},
    # Before the fourth round, threshold 0.30.
    "fresh5": {
        "top1_in_scope": 0.7909,
        "handoff_out_of_scope": 0.9375,
        "scam_recall": 0.875,
        "scam_fpr": 0.0211,
    },
    "fresh6": {
        "top1_in_scope": 0.8545,
        "handoff_out_of_scope": 0.9677,
        "scam_recall": 0.8125,
        "scam_fpr": 0.0071,
    },
    # Written by another author before the fifth round's paraphrases landed; measured with the
    # knowledge base of before that round, then used to look at errors (sixth round).
    "fresh7": {
        "top1_in_scope": 0.8511,
        "handoff_out_of_scope": 0.9688,
        "scam_recall": 0.9333,
        "scam_fpr": 0.0061,
    },
    # Written by a third author during the sixth round without seeing any set, the knowledge base or
    # the rules; measured once with the sixth round's matcher before its scam misses were read.
    "fresh8": {
        "top1_in_scope": 0.9296,
        "handoff_out_of_scope": 0.9677,
        "scam_recall": 0.75,
        "scam_fpr": 0.025,
    },
    # Written by a fourth author at the end of the sixth round, seeing nothing of the project; measured
    # once with that round's final matcher, then its misses read.
    "fresh9": {
        "top1_in_scope": 0.9638,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 0.88,
        "scam_fpr": 0.0065,
    },
    # Written by two more authors at the start of the seventh round, seeing nothing of the project;
    # both measured once before any change. fresh10 was then read; fresh11 only measured again after
    # the fresh10 fixes (94.1 / 100 / 80 / 1.2) before its own misses were read.
    "fresh10": {
        "top1_in_scope": 0.8792,
        "handoff_out_of_scope": 0.973,
        "scam_recall": 0.6667,
        "scam_fpr": 0.0181,
    },
    "fresh11": {
        "top1_in_scope": 0.9281,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 0.7,
        "scam_fpr": 0.0119,
    },
    # Written by two more authors at the start of the eighth round, seeing nothing of the project; each
    # measured once, after that round's training sets, out-of-scope unit and pitch entries and before
    # either was read, learning from the sixteen sets before them (neither from the other). With the
    # round's starting code: 81.7 / 100 / 88 / 2.3 and 89.1 / 84.8 / 84 / 1.7.
    "fresh12": {
        "top1_in_scope": 0.9207,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 0.96,
        "scam_fpr": 0.0173,
    },
    "fresh13": {
        "top1_in_scope": 0.9394,
        "handoff_out_of_scope": 0.9394,
        "scam_recall": 1.0,
        "scam_fpr": 0.0173,
    },
    # Two more, written while fresh12/fresh13 were being read; each measured once when it arrived,
    # learning from every set before it (three impersonation rows of fresh14 and two of fresh15 were
    # relabelled scam false by intent alone before running: 84 % and 88 % recall as authored). The
    # round's starting code on fresh15: 78.0 / 90.9 / 91.3 / 4.0.
    "fresh14": {
        "top1_in_scope": 0.939,
        "handoff_out_of_scope": 0.9394,
        "scam_recall": 0.9545,
        "scam_fpr": 0.017,
    },
    "fresh15": {
        "top1_in_scope": 0.8841,
        "handoff_out_of_scope": 0.9394,
        "scam_recall": 0.9565,
        "scam_fpr": 0.0514,
    },
    # Two last ones, written during the round by authors told the impersonation rule; measured once at
    # its end, learning from every set before them (neither from the other), and not read.
    "fresh16": {
        "top1_in_scope": 0.939,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 0.92,
        "scam_fpr": 0.0231,
    },
    "fresh17": {
        "top1_in_scope": 0.9451,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 0.92,
        "scam_fpr": 0.0231,
    },
    # Ninth round: three sets by three new authors (each given a different kind of person to write
    # as), measured once each, alone, after the round's SVM scam model, logistic-regression rerank and
    # three training sets (train_f … train_h), learning from every set before them.
    "fresh18": {
        "top1_in_scope": 0.9755,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 1.0,
        "scam_fpr": 0.0,
    },
    "fresh19": {
        "top1_in_scope": 0.9939,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 1.0,
        "scam_fpr": 0.0058,
    },
    "fresh20": {
        "top1_in_scope": 0.9878,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 0.96,
        "scam_fpr": 0.0058,
    },
    # Two more, written after fresh18–fresh20 were measured; measured once each, alone, after the
    # rules were made to yield to a sure model, learning from fresh18–fresh20 too.
    "fresh21": {
        "top1_in_scope": 0.9939,
        "handoff_out_of_scope": 0.9697,
        "scam_recall": 0.96,
        "scam_fpr": 0.0058,
    },
    "fresh22": {
        "top1_in_scope": 0.9755,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 1.0,
        "scam_fpr": 0.0173,
    },
    # Three more, written after fresh21/fresh22 were measured; measured once each, alone, with the
    # rules yielding to a sure model, learning from fresh18–fresh22 too.
    "fresh23": {
        "top1_in_scope": 0.9573,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 1.0,
        "scam_fpr": 0.0289,
    },
    "fresh24": {
        "top1_in_scope": 0.9877,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 1.0,
        "scam_fpr": 0.0173,
    },
    "fresh25": {
        "top1_in_scope": 0.9816,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 1.0,
        "scam_fpr": 0.0116,
    },
    # Three last ones, written after fresh23–fresh25 were measured; measured once each, alone, with the
    # round's final code (scam margins chosen over the 35 sets before them), learning from all of those.
    "fresh26": {
        "top1_in_scope": 1.0,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 1.0,
        "scam_fpr": 0.0058,
    },
    "fresh27": {
        "top1_in_scope": 0.9755,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 1.0,
        "scam_fpr": 0.0116,
    },
    "fresh28": {
        "top1_in_scope": 0.9939,
        "handoff_out_of_scope": 1.0,
        "scam_recall": 1.0,
        "scam_fpr": 0.0058,
    },
}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--kb", default=str(default_kb_path()))
    ap.add_argument(
        "--sets", default="", help="comma-separated labelled sets to measure (default: all of data/labelled/)"
    )
    ap.add_argument("--eval", default="", help="also measure this file, with every labelled set learned")
    ap.add_argument("--threshold", type=float, default=None)
    args = ap.parse_args(argv)

    kb = load_kb(args.kb)
    names = [n for n in args.sets.split(",") if n] or labelled_sources()
    sets = {name: [vars(r) for r in labelled_rows(name)] for name in names}

    # Each set is measured with paraphrases and a scam model learned from every *other* set
    # (leave-one-set-out), so no figure below comes from a question the matcher learned.
    out: dict = {}
    for name, rows in sets.items():
        held_out = Matcher(kb, threshold=args.threshold, examples=Examples.build(exclude={name}))
        fig = _metrics(held_out.ask, rows)
        if name in FIRST_MEASUREMENTS:
            fig["first_measurement"] = FIRST_MEASUREMENTS[name]
        out[name] = fig
    out["all_sets"] = _pooled([out[name] for name in sets])
    matcher = Matcher(kb, threshold=args.threshold)
    if args.eval:
        out["file"] = _metrics(matcher.ask, _rows(args.eval))

    padded = pad_kb(kb)
    questions = [r["q"] for rows in sets.values() for r in rows]
    out.update(_latency(Matcher(padded, threshold=args.threshold).ask, questions))
    out.update(
        {
            "kb_entries": len(kb),
            "kb_entries_latency": len(padded),
            "learned_questions": sum(len(v) for v in matcher.examples.questions.values()),
            "threshold": matcher.threshold,
        }
    )

    ref = BigramBM25(kb)
    ref_lat = _latency(BigramBM25(padded).top1, questions)
    out["reference"] = {
        "method": "raw char-bigram BM25 over the knowledge base alone; no normalising, synonyms, threshold",
        **{f"{name}_top1_in_scope": _ref_top1(ref, rows) for name, rows in sets.items()},
        "p50_ms": ref_lat["p50_ms"],
        "p99_ms": ref_lat["p99_ms"],
        "p99_wall_ms": ref_lat["p99_wall_ms"],
    }
    out["load_avg_1m"] = round(os.getloadavg()[0], 2)
    print(json.dumps(out, ensure_ascii=False))
    return 0


if __name__ == "__main__":
    sys.exit(main())
