"""What the assistant learns from labelled questions: paraphrases per entry and the scam model.

Pure Python, no database: the labelled files ship with the package.
"""

from __future__ import annotations

import json

import pytest

from jiefen.assistant import learned
from jiefen.assistant.kb import Entry, KnowledgeBase
from jiefen.assistant.learned import NO_EXAMPLES, Examples, ScamModel, labelled_rows, labelled_sources
from jiefen.assistant.matcher import Matcher
from jiefen.assistant.scam import detect_scam


def _entry(id_: str, question: str, *paraphrases: str) -> Entry:
    return Entry(id=id_, category="query", question=question, paraphrases=list(paraphrases), answer=id_)


def test_every_labelled_row_is_well_formed():
    sources = labelled_sources()
    assert "eval" in sources and len(sources) >= 10
    for source in sources:
        rows = labelled_rows(source)
        assert rows, source
        assert all(r.q and r.source == source for r in rows)


def test_leaving_a_set_out_removes_its_questions():
    whole = Examples.build()
    without = Examples.build(exclude={"fresh9"})
    fresh9 = {r.q for r in labelled_rows("fresh9") if r.intent and not r.scam}
    learned_all = {q for qs in whole.questions.values() for q in qs}
    learned_without = {q for qs in without.questions.values() for q in qs}
    assert fresh9 <= learned_all
    # A question that another set also has may stay; most of fresh9 must be gone.
    assert len(fresh9 & learned_without) < len(fresh9) // 10
    assert "fresh9" not in without.sources and "fresh9" in whole.sources


def test_pitches_are_not_paraphrases():
    """A scam pitch labelled with the anti-scam entry must not teach the matcher its wording."""
    pitches = {r.q for s in labelled_sources() for r in labelled_rows(s) if r.scam}
    learned_all = {q for qs in Examples.build().questions.values() for q in qs}
    assert pitches and not (pitches & learned_all) - {
        r.q for s in labelled_sources() for r in labelled_rows(s) if not r.scam
    }


def test_a_labelled_question_teaches_its_entry_a_wording():
    kb = KnowledgeBase(
        [
            _entry("report.where", "在哪里查信用报告", "怎么查征信", "去哪打征信报告"),
            _entry("report.fee", "查信用报告收费吗", "查征信要钱吗", "打征信报告多少钱"),
        ]
    )
    question = "俺那个单子上哪弄去"
    plain = Matcher(kb, examples=NO_EXAMPLES)
    taught = Matcher(kb, examples=Examples({"report.where": ("俺那个单子上哪弄去呀",)}, None))
    assert (
        plain.rank(question)[0][0][0] != 0 or plain.rank(question)[0][0][1] < taught.rank(question)[0][0][1]
    )
    assert taught.rank(question)[0][0][0] == 0
    # An id the knowledge base does not have is ignored, not an error.
    Matcher(kb, examples=Examples({"no.such.entry": ("随便问问",)}, None))


def test_questions_labelled_out_of_scope_are_handed_over():
    """A question closest to one labelled out of scope goes to a human, though an entry shares its words."""
    kb = KnowledgeBase(
        [
            _entry("report.where", "在哪里查征信报告", "怎么查征信", "去哪打征信报告", "征信中心在哪"),
            _entry("report.fee", "查征信报告收费吗", "查征信要钱吗", "打征信报告多少钱"),
        ]
    )
    question = "征信中心今年招不招工作人员"
    plain = Matcher(kb, examples=NO_EXAMPLES).ask(question)
    assert plain.intent == "report.where" and not plain.handoff
    examples = Examples(
        {"report.where": ("征信在哪儿打",)}, None, (), ("征信中心招人吗 想去上班", "人民银行招聘考试什么时候")
    )
    taught = Matcher(kb, examples=examples)
    answer = taught.ask(question)
    assert answer.handoff and answer.intent is None and answer.confidence == 0.0
    # The best guesses for the human queue are still entries, never the out-of-scope unit.
    assert [c for c, _ in answer.candidates] == ["report.where", "report.fee"][: len(answer.candidates)]
    assert answer.candidates
    # Nor does it stop an in-scope question from being answered.
    assert taught.ask("查征信要交钱吗").intent == "report.fee"
    assert Examples.build().out_of_scope


def test_out_of_scope_labels_hold_only_for_the_knowledge_base_they_were_made_for():
    kb = KnowledgeBase(
        [
            _entry("report.where", "在哪里查征信报告", "怎么查征信", "去哪打征信报告", "征信中心在哪"),
            _entry("jobs", "征信中心招聘吗", "征信中心招人吗 想去上班"),
        ]
    )
    examples = Examples({"report.where": ("征信在哪儿打",)}, None, (), ("征信中心招人吗 想去上班",))
    # An editor wrote the handed-over question into an entry: it is in scope now.
    assert Matcher(kb, examples=examples).ask("征信中心招人吗 想去上班").intent == "jobs"
    # A centre's own knowledge base, without the labelled entries, gets no out-of-scope unit at all.
    own = Examples({"other.entry": ("征信在哪儿打",)}, None, (), ("征信中心今年招不招工作人员",))
    assert Matcher(kb, examples=own).ask("征信中心今年招不招工作人员").intent == "jobs"


def test_the_domain_model_answers_in_scope_questions_without_a_domain_word():
    from jiefen.assistant.kb import default_kb_path, load_kb

    kb = load_kb(default_kb_path())
    question = (
        "催债的天天打我爸妈电话，这样合法吗"  # no credit-report word: the word gate alone hands it over
    )
    assert Matcher(kb, examples=NO_EXAMPLES).ask(question).handoff
    examples = Examples.build()
    assert examples.domain_model is not None and examples.domain_model.in_scope(question)
    assert Matcher(kb, examples=examples).ask(question).intent == "collection.conduct"
    # Out-of-scope questions stay out: the model lifts the gate only when it is clearly in scope.
    for off_topic in ("明天泉州天气怎么样", "信用卡怎么提额", "房贷利率多少"):
        assert Matcher(kb, examples=examples).ask(off_topic).handoff, off_topic


def test_scam_model_learns_from_examples():
    rows = [
        ("专业处理逾期 加V详聊 包成功", True),
        ("征信洗白 内部渠道 私信", True),
        ("黑户也能下款 包装流水 加微", True),
        ("怎么查自己的征信", False),
        ("逾期记录保存几年", False),
        ("异议申请要多久", False),
    ]
    model = ScamModel.train(rows, threshold=0.0)
    assert model.score("呆账也能处理 加V私聊") > model.score("呆账多久能处理完")
    assert model.flags("逾期能处理 加V私信") and not model.flags("怎么查征信报告")
    # No positive or no negative example: an empty model that never flags.
    assert not ScamModel.train(rows[:3]).flags("专业处理逾期 加V详聊 包成功")


def test_the_shipped_model_catches_a_pitch_the_rules_miss():
    # Written for this test, in none of the labelled sets or the corpus: an advert in a wording the
    # rules have no pattern for.
    pitch = "各类逾期 呆账 代偿 查询多 统统可以安排 速度快 扣1了解"
    assert not detect_scam(pitch, None).flagged
    result = detect_scam(pitch)
    assert result.flagged and result.reasons


@pytest.mark.parametrize(
    "text",
    [
        "被征信修复公司骗了5000块钱，人联系不上了怎么办",  # a victim: never a pitch
        "怎么免费申请征信异议",
        "逾期记录多久能消除",
    ],
)
def test_the_shipped_model_keeps_honest_questions(text):
    assert not detect_scam(text).flagged


def test_a_malformed_labelled_line_names_its_file_and_line(tmp_path, monkeypatch):
    folder = tmp_path / "labelled"
    folder.mkdir()
    (folder / "mine.jsonl").write_text(
        json.dumps({"q": "怎么查征信", "intent": "query.channels", "scam": False}, ensure_ascii=False)
        + "\n{not json\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(learned, "LABELLED_DIR", folder)
    with pytest.raises(ValueError, match="mine.jsonl 第2行"):
        labelled_rows("mine")


def test_the_model_and_the_rules_weigh_each_other():
    from jiefen.assistant.scam import detect_scam

    # A rule sees "说能洗白征信" (a third party's claim); the model, sure it is a question about the
    # scam, overrules it.
    about = "网上那些说能洗白征信的是真是假"
    assert detect_scam(about, None).flagged and not detect_scam(about).flagged
    # A priced offer relayed as "能找吗" about 信用中国 passes the rules' veto for official services;
    # the model, sure it is a pitch, lifts the veto.
    offer = "有个中介说可以帮我把公司的行政处罚记录从信用中国上撤掉，收5000，能找吗"
    assert not detect_scam(offer, None).flagged and detect_scam(offer).flagged
    # A victim's report stays a victim's report.
    assert not detect_scam("我给征信修复公司转了3000，现在联系不上了").flagged
