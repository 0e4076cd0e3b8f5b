"""The credit-report assistant: matching, hand-over, scam warnings, knowledge-base loading.

The matcher itself needs no Django and no database; these tests only use the knowledge-base file.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from jiefen.assistant.kb import Entry, default_kb_path, dump_kb, load_kb
from jiefen.assistant.learned import NO_EXAMPLES
from jiefen.assistant.matcher import CLARIFY_MESSAGE, HANDOFF_MESSAGE, Matcher
from jiefen.assistant.scam import FREE_CHANNELS, detect_scam
from jiefen.assistant.text import normalize, tokens

REQUIRED_IDS = {
    "query.channels",
    "query.fee",
    "query.by_agent",
    "query.enterprise",
    "query.retention",
    "query.authorization",
    "dispute.how",
    "dispute.deadline",
    "dispute.scope",
    "dispute.unsatisfied",
    "dispute.repair_scam",
    "statement.what",
    "statement.how",
    "statement.withdraw",
    "statement.vs_annotation",
    "policy.one_time_repair",
}
FOUR_CHANNELS = ("申请更正", "提出异议", "投诉", "起诉")


@pytest.fixture(scope="module")
def kb():
    return load_kb(default_kb_path())


@pytest.fixture(scope="module")
def matcher(kb):
    return Matcher(kb)


def write(tmp_path: Path, name: str, data) -> Path:
    path = tmp_path / name
    if isinstance(data, str):
        path.write_text(data, encoding="utf-8")
    else:
        path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


# ------------------------------------------------------------------------------ the shipped KB
def test_the_shipped_kb_has_every_required_id_and_sixty_entries(kb):
    ids = {e.id for e in kb}
    assert ids >= REQUIRED_IDS
    assert len(kb) >= 60


def test_every_shipped_entry_has_a_source_and_at_least_four_paraphrases(kb):
    for e in kb:
        assert e.source, e.id
        assert e.reviewed_on, e.id
        assert len(e.paraphrases) >= 4, e.id
    core = [e for e in kb if e.id in REQUIRED_IDS]
    assert all(len(e.paraphrases) >= 10 for e in core), "the core questions carry the most ways of asking"


def test_unverified_statement_procedure_defers_to_the_credit_centre(kb):
    by_id = {e.id: e for e in kb}
    for ident in ("statement.how", "statement.withdraw"):
        assert "以征信中心最新规定为准" in by_id[ident].answer


# ------------------------------------------------------------------------------ answering
def test_it_answers_fee_question_in_colloquial_words(matcher):
    a = matcher.ask("查个征信要花多少钱啊？")
    assert a.intent == "query.fee"
    assert not a.handoff
    assert "10元" in a.answer
    assert a.sources and "第17条" in a.sources[0]


def test_it_answers_where_to_check_the_report(matcher):
    a = matcher.ask("想打一份自己的征信报告，去哪弄？")
    assert a.intent == "query.channels"
    assert 0.0 <= a.confidence <= 1.0


def test_it_understands_traditional_characters(matcher):
    a = matcher.ask("徵信報告有錯誤，怎麼提出異議？")
    assert a.intent == "dispute.how"


def test_it_understands_full_width_digits(matcher):
    assert normalize("２万") == normalize("20000")
    a = matcher.ask("异议提交后２０天之内会答复吗？")
    assert a.intent == "dispute.deadline"


def test_it_tolerates_a_common_typo(matcher):
    assert normalize("查正信") == normalize("查征信")
    assert matcher.ask("个人申明是什么意思").intent == "statement.what"


def test_it_explains_the_one_time_repair_policy(matcher):
    a = matcher.ask("听说2025年底出了个一次性信用修复，是怎么回事？")
    assert a.intent == "policy.one_time_repair"
    assert "2026年3月31日" in a.answer
    assert not a.scam_warning


def test_it_keeps_the_court_blacklist_apart_from_overdue_records():
    assert "失信被执行人" in normalize("上了失信被执行人名单")
    assert "逾期" in normalize("有失信记录")


def test_it_offers_top_three_candidates_for_the_human_queue(matcher):
    a = matcher.ask("别人查我的征信要经过我同意吗")
    assert a.intent == "query.authorization"
    assert 1 <= len(a.candidates) <= 3
    assert a.candidates[0][0] == "query.authorization"


# ------------------------------------------------------------------------------ hand-over
@pytest.mark.parametrize(
    "question",
    [
        "明天天气怎么样",
        "现在房贷利率是多少",
        "车险理赔要什么材料",
        "推荐一只能涨的股票",
        "花呗额度怎么提升",
        "你好",
    ],
)
def test_it_hands_over_out_of_scope_questions(matcher, question):
    a = matcher.ask(question)
    assert a.handoff
    assert a.intent is None
    assert a.answer == HANDOFF_MESSAGE
    assert not a.sources


def test_it_hands_over_the_weather(matcher):
    a = matcher.ask("今天会下雨吗？要不要带伞")
    assert a.handoff and a.intent is None
    assert "已转人工" in a.answer


def test_it_hands_over_when_asked_for_a_person(matcher):
    a = matcher.ask("查征信要钱吗，我要转人工")
    assert a.handoff


def test_it_hands_over_an_empty_question(matcher):
    a = matcher.ask("   ？？ ")
    assert a.handoff and a.confidence == 0.0


# ------------------------------------------------------------------------------ scams
def test_it_flags_a_paid_deletion_pitch(matcher):
    a = matcher.ask("专业征信修复，逾期记录3天消除，不成功不收费，加V详聊")
    assert a.scam_warning
    assert not a.handoff
    assert a.intent == "dispute.repair_scam"
    for channel in FOUR_CHANNELS:
        assert channel in a.answer


def test_it_appends_the_warning_to_a_matched_answer(matcher):
    a = matcher.ask("有人说交3000块能帮我删掉征信上的逾期，是真的吗")
    assert a.scam_warning and not a.handoff
    assert "骗局" in a.answer
    assert all(channel in a.answer for channel in FOUR_CHANNELS)


def test_it_flags_a_paid_complaint_agent():
    result = detect_scam("我是代理公司，帮客户投诉银行减免，收取30%佣金")
    assert result.flagged
    assert result.reasons
    assert 0.0 < result.score <= 1.0


@pytest.mark.parametrize(
    "text",
    [
        "内部渠道洗白征信，百分百成功，先付定金500",
        "我们可以帮您快速铲单，网贷逾期全部清除",
        "代理退保，全额退回保费，只收30%手续费",
        "我想花钱把信用卡逾期记录删掉，找谁能办",
        "徵信洗白，內部關係，保證成功",
        "谁有高手能把我的逾期消掉，给报酬",
        "专业帮您向银行投诉要回利息，成功后抽两成",
        "【信用管家】您的征信可以修复啦 点击链接了解详情",
        "我们在人行有关系，网贷黑户也能处理，先交一半定金",
        "逾期上岸找我，可协商停息分期，服务费好说",
        "修复公司承诺不成功全额退款，让我先转3000",
        "征X逾期可消，详情点击，回T退订",
        "信用卡逾期不用慌，专人一对一办理，收费透明，有需要联系",
        "网贷太多下不了款？服务费800，私信",
        "征xin修fu，yuqi三天清掉，v：abc123",
        "协商还款停息挂账，专业团队，只收减免部分20%，私信",
        "拍下30元，教你删掉逾期记录",
        "我宁愿花钱找人把呆账弄掉，谁有靠谱的",
        "群里有人说能进人行系统改数据，征信马上变白，收八千",
        "恭喜您获得征信修复名额，逾期可撤销，详询V信",
        "进扣扣群学异议技巧，把逾期申诉掉，学费199",
        "网贷停息挂账找我，法务团队已帮上千人上岸，只收材料费",
        "中介收3个点，帮我包装成国企员工去贷款",
        "客户经理说有渠道走内部审批，先交5000手续费就放款",
    ],
)
def test_it_flags_scam_pitches(text):
    assert detect_scam(text).flagged


def test_it_does_not_flag_a_question_about_scams(matcher):
    assert not detect_scam("征信修复是骗局吗").flagged
    a = matcher.ask("征信修复是骗局吗")
    assert not a.scam_warning
    assert a.intent == "dispute.repair_scam"


@pytest.mark.parametrize(
    "text",
    [
        "怎么免费申请异议",
        "一次性信用修复是什么",
        "一次性信用修复需要交钱吗",
        "怎么自己修复征信，不想花冤枉钱",
        "还清欠款后多久能消除不良记录",
        "我有笔5000块的信用卡逾期，能享受一次性修复吗",
        "被征信修复公司骗了怎么报警",
        "查征信要交手续费吗",
        "银行可以帮我申请停息挂账吗",
        "我欠的钱里三成是罚息，能减免吗",
        "不想找修复公司，自己能不能去把征信上的错误改了",
        "收到短信说我征信要被拉黑，让我点链接处理，是诈骗吗",
        "对异议的答复不满意，能去找人民银行反映吗",
        "既然征信不能花钱修复，那一次性信用修复又是什么",
        "交了钱给修复公司，对方把我拉黑了，怎么办",
        "不想花钱找修复公司，怎么自己提异议",
        "交了钱给做征信的中介，现在人找不到了",
        "我想咨询一下信用卡分期手续费怎么收，联系方式是多少",
        "花钱洗白征信这事，到底有没有真的",
        "网上很多广告说能删逾期，征信洗白是真的吗",
        "那种收好几千的征信修复公司合法吗",
        "银行承认是他们系统故障报错了，说会帮我删掉那条逾期，要多久",
        "微信支付分和征信有关系吗",
    ],
)
def test_it_does_not_flag_honest_questions(text):
    assert not detect_scam(text).flagged


def test_scam_warning_lists_the_four_free_channels():
    for channel in FOUR_CHANNELS:
        assert channel in FREE_CHANNELS


# ------------------------------------------------------------------------------ KB files
def test_it_loads_a_minimal_kb_file(tmp_path):
    path = write(
        tmp_path,
        "kb.json",
        [
            {
                "id": "a",
                "category": "query",
                "question": "怎么查征信",
                "paraphrases": [],
                "answer": "去柜台查。",
            }
        ],
    )
    kb = load_kb(path)
    assert [e.id for e in kb] == ["a"]
    assert kb[0].source == "" and kb[0].keywords == []
    assert Matcher(kb).ask("怎么查征信").intent == "a"


def test_it_loads_a_yaml_kb_with_an_entries_key_and_synonyms(tmp_path):
    text = (
        "synonyms:\n  征信: [小本本]\n"
        "entries:\n"
        "  - id: q.fee\n    category: query\n    question: 查征信收费吗\n"
        "    paraphrases: [查征信要钱吗]\n    answer: 每年2次免费。\n    reviewed_on: 2026-11-22\n"
        "  - id: q.where\n    category: query\n    question: 去哪查征信\n"
        "    paraphrases: [在哪查征信]\n    answer: 柜台或网上。\n"
    )
    kb = load_kb(write(tmp_path, "kb.yaml", text))
    assert kb.synonyms == {"征信": ["小本本"]}
    assert kb[0].reviewed_on == "2026-11-22"
    m = Matcher(kb)
    assert m.ask("查小本本收费吗").intent == "q.fee"


def test_it_rejects_an_entry_without_answer_naming_the_index(tmp_path):
    data = [
        {"id": "a", "category": "query", "question": "q", "paraphrases": [], "answer": "x"},
        {"id": "b", "category": "query", "question": "q", "paraphrases": []},
    ]
    with pytest.raises(ValueError) as err:
        load_kb(write(tmp_path, "kb.json", data))
    message = str(err.value)
    assert "第 2 条" in message and "索引 1" in message and "answer" in message


def test_it_rejects_paraphrases_given_as_a_string(tmp_path):
    data = [{"id": "a", "category": "query", "question": "q", "paraphrases": "查征信", "answer": "x"}]
    with pytest.raises(ValueError, match="paraphrases"):
        load_kb(write(tmp_path, "kb.json", data))


def test_it_rejects_duplicate_ids(tmp_path):
    entry = {"id": "a", "category": "query", "question": "q", "paraphrases": [], "answer": "x"}
    with pytest.raises(ValueError, match="重复"):
        load_kb(write(tmp_path, "kb.json", [entry, entry]))


def test_it_reports_broken_json_in_chinese(tmp_path):
    with pytest.raises(ValueError, match="不是有效的 JSON"):
        load_kb(write(tmp_path, "kb.json", '[{"id": "a",'))


def test_dump_then_load_round_trips(kb, tmp_path):
    for name in ("out.json", "out.yaml"):
        path = tmp_path / name
        dump_kb(kb, path)
        again = load_kb(path)
        assert [e.to_dict() for e in again] == [e.to_dict() for e in kb]


def test_an_entry_can_extend_the_synonyms(tmp_path):
    entry = Entry(
        id="x",
        category="query",
        question="征信有错怎么办",
        paraphrases=["征信错了"],
        answer="提异议。",
        synonyms={"征信": ["信用小本"]},
    )
    assert Matcher([entry]).norm.normalize("信用小本有错") == normalize("征信有错")


# ------------------------------------------------------------------------------ text + speed
def test_tokens_are_unigrams_and_bigrams():
    toks = tokens("查征信")
    assert "征信" in toks and "查征" in toks and "查" in toks


def test_it_is_fast_enough(matcher):
    questions = ["查征信要钱吗", "逾期记录保存多久", "个人声明怎么撤销", "今天天气怎么样"] * 50
    start = time.perf_counter()
    for q in questions:
        matcher.ask(q)
    per_question_ms = (time.perf_counter() - start) * 1000 / len(questions)
    assert per_question_ms < 5


# ------------------------------------------------------------------------------ later additions
def test_a_subject_specific_entry_needs_its_subject(matcher):
    assert matcher.ask("想查一下自己的征信，去哪里查").intent == "query.channels"
    assert matcher.ask("公司的征信去哪里查").intent == "query.enterprise"


@pytest.mark.parametrize(
    "question", ["信用卡怎么提额", "借呗怎么开通", "公积金贷款能贷多少", "房贷利率下调了吗"]
)
def test_it_hands_over_credit_product_questions(matcher, question):
    assert matcher.ask(question).handoff


def test_it_still_answers_a_late_payment_question_without_the_word_credit_report(matcher):
    a = matcher.ask("信用卡晚还了两天，会有影响吗")
    assert a.intent == "query.late_days"


def test_it_does_not_flag_a_sceptical_question_about_paying():
    assert not detect_scam("花钱修复征信是不是骗人的").flagged
    assert detect_scam("花5000块消除黑名单靠谱吗").flagged


def test_it_flags_a_long_complaint_text_quickly(matcher):
    text = "我们是专业债务优化团队，" + "帮你跟银行协商减免，" * 300 + "成功后收取20%服务费"
    start = time.perf_counter()
    a = matcher.ask(text)
    assert (time.perf_counter() - start) < 0.05
    assert a.scam_warning and not a.handoff


def test_requires_is_read_from_the_file(tmp_path):
    data = [
        {
            "id": "gen",
            "category": "query",
            "question": "去哪查征信",
            "paraphrases": ["征信在哪里查"],
            "answer": "柜台。",
        },
        {
            "id": "ent",
            "category": "query",
            "question": "企业征信去哪查",
            "paraphrases": ["单位征信在哪里查"],
            "answer": "人民银行网点。",
            "requires": ["企业", "单位"],
        },
    ]
    kb = load_kb(write(tmp_path, "kb.json", data))
    assert kb[1].extra["requires"] == ["企业", "单位"]
    m = Matcher(kb)
    assert m.rank("在哪里查征信")[0][0][0] == 0
    assert m.rank("单位征信在哪查")[0][0][0] == 1


def test_cues_are_read_from_the_file_and_settle_a_near_tie(tmp_path):
    data = [
        {
            "id": "add",
            "category": "statement",
            "question": "怎么加个人声明",
            "paraphrases": ["个人声明去哪办"],
            "answer": "柜台。",
        },
        {
            "id": "withdraw",
            "category": "statement",
            "question": "个人声明能撤销吗",
            "paraphrases": ["个人声明去哪撤"],
            "answer": "可以。",
            # every group must be there (alternatives with |), none of the ! words; surface forms are fine
            "cues": ["撤回|删掉|不想要 个人声明 !逾期"],
        },
    ]
    kb = load_kb(write(tmp_path, "kb.json", data))
    assert kb[1].extra["cues"] == ["撤回|删掉|不想要 个人声明 !逾期"]
    assert Matcher(kb, cue_weight=0, softmax_weight=0).rank("个人声明不想要了")[0][0][0] == 0, (
        "without the cue: a near tie, lost"
    )
    m = Matcher(kb)
    assert m.rank("个人声明不想要了")[0][0][0] == 1
    assert m.rank("个人声明去哪办")[0][0][0] == 0
    assert m._cue_hits(m.norm.normalize("个人声明能删掉逾期吗")) == set()
    data[1]["cues"] = "撤回 个人声明"
    with pytest.raises(ValueError, match="cues"):
        load_kb(write(tmp_path, "bad.json", data))


def test_everyday_words_fold_onto_the_knowledge_base_words():
    assert normalize("想瞅一眼我自个儿的信用记录，咋个搞") == normalize("想看看自己的征信，怎么弄")
    assert "哪里" not in normalize("帮邻居大爷去开征信，我得揣上哪些东西")
    assert normalize("异议给否了") == normalize("异议被驳回") == normalize("异议没通过")
    assert normalize("要一张结清的单子") == normalize("要一张结清证明")


def test_a_family_member_filing_a_complaint_is_not_a_paid_agent():
    assert not detect_scam("本人委托女儿代理投诉此事，银行乱扣年费").flagged
    assert detect_scam("受客户委托代理投诉，专业代理维权，帮客户停息挂账减免罚息，成功后收取服务费").flagged


# ------------------------------------------------------------------------------ later additions
def test_a_question_naming_no_subject_gets_asked_what_about(matcher):
    for q in ("你好，问个征信的问题", "征信", "我想咨询一下征信方面的事"):
        a = matcher.ask(q)
        assert a.intent is None and not a.handoff, q
        assert a.answer == CLARIFY_MESSAGE
    assert matcher.ask("个人声明").intent == "statement.what", "a bare subject is still answered"


def test_getting_the_report_keeps_the_domain_word():
    assert normalize("打征信报告要不要钱") == normalize("查征信要不要钱")
    assert "征信" in normalize("拉个征信看看")


@pytest.mark.parametrize(
    "text",
    [
        "征信不良？找我们，合法合规修复，费用透明",  # 合法合规 is an advert's word, not a question
        "帮你投诉银行要回利息，按比例收费",  # 要回 here is the agent's promise
        "给我3000，保证把你逾期删了",
        "有关系能帮你把逾期记录弄没，费用好商量",
        "信用报告优化，快速提升信用，包下卡",
        "帮你出具困难证明，申请停息挂账，收费500",
    ],
)
def test_it_flags_pitches_in_other_words(text):
    assert detect_scam(text).flagged, text


@pytest.mark.parametrize(
    "text",
    [
        "信用卡境外消费手续费",  # 消费 is not 消除
        "征信修复机构是正规的吗",
        "被修复征信的中介骗走2000元押金，能追回吗",  # a victim, not a pitch
        "有人打电话说能帮我修复征信，我该怎么举报",
        "代理人帮我申请异议要收费吗",
    ],
)
def test_it_does_not_flag_victims_sceptics_or_shopping(text):
    assert not detect_scam(text).flagged, text


# ------------------------------------------------------------------------------ second round
def test_local_discrimination_tells_neighbouring_entries_apart():
    """Three entries share their subject; only the action word tells them apart. The local stage
    weighs the words the close candidates do not share, so the action decides."""
    entries = [
        Entry("s.what", "statement", "个人声明是什么", ["个人声明有什么作用", "个人声明有用吗"], "甲"),
        Entry("s.how", "statement", "怎么添加个人声明", ["个人声明去哪里添加", "添加个人声明的流程"], "乙"),
        Entry(
            "s.withdraw", "statement", "个人声明能撤销吗", ["撤销个人声明怎么办理", "个人声明撤销流程"], "丙"
        ),
    ]
    question = "我的个人声明想撤销，流程是怎样的"
    with_local = Matcher(entries, threshold=0.0)
    without = Matcher(entries, threshold=0.0, local_weight=0.0)
    parts = with_local._local(with_local.norm.tokens(question), [0, 1, 2])
    # 撤销 occurs only in s.withdraw; 流程 in two of three; 个人声明 in all three (weight 0).
    assert parts[2] > parts[1] > parts[0] == 0.0
    assert with_local.ask(question).intent == "s.withdraw"
    score = {eid: s for eid, s in with_local.ask(question).candidates}
    score_without = {eid: s for eid, s in without.ask(question).candidates}
    assert score["s.withdraw"] - score["s.how"] > score_without["s.withdraw"] - score_without["s.how"]


def test_local_discrimination_is_neutral_for_a_single_candidate():
    m = Matcher([Entry("a", "query", "怎么查征信", ["去哪查征信"], "甲")])
    assert m._local(m.norm.tokens("怎么查征信"), [0]) == {}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("借呗会体现在人行报告里吗", "借呗会体现在征信里吗"),
        ("有家公司背着我查了征信", "有家企业未经授权查了征信"),
        ("没经过我同意就查我征信", "未经授权就查我征信"),
        ("在报告里加一段本人说明", "在报告里加一段个人声明"),
    ],
)
def test_second_round_synonyms(text, expected):
    assert normalize(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "花钱洗白征信真的能行吗？",
        "信用修复需要花钱找人吗",
        "有没有正规的征信修复机构",
        "交了钱给修复征信的人，结果人跑了",
    ],
)
def test_questions_doubting_repair_and_victims_are_not_flagged(text):
    assert not detect_scam(text).flagged, text


@pytest.mark.parametrize(
    "text",
    [
        # An advert's promise is still a pitch, however it is phrased.
        "征信修复真的可以，内部渠道，不成功不收费",
        "正规征信修复机构，专业洗白，加微信",
        "需要花钱找人把逾期删掉的联系我",
    ],
)
def test_pitches_using_doubting_words_are_still_flagged(text):
    assert detect_scam(text).flagged, text


def test_a_knowledge_base_file_adds_its_own_uncovered_subjects(kb, tmp_path):
    """A centre knows what its window is asked that no entry answers: naming such a subject in the
    file's top-level uncovered_terms hands the question over instead of answering the nearest entry."""
    question = "信用卡积分会上征信吗"
    # Without the labelled questions, whose out-of-scope examples would hand this over on their own.
    assert not Matcher(kb, examples=NO_EXAMPLES).ask(question).handoff
    path = tmp_path / "centre.json"
    path.write_text(
        json.dumps({"entries": [e.to_dict() for e in kb], "uncovered_terms": ["积分"]}, ensure_ascii=False),
        encoding="utf-8",
    )
    mine = load_kb(path)
    assert mine.uncovered_terms == ["积分"]
    answer = Matcher(mine, examples=NO_EXAMPLES).ask(question)
    assert answer.handoff and answer.intent is None
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"entries": [e.to_dict() for e in kb], "uncovered_terms": "积分"}), "utf-8")
    with pytest.raises(ValueError, match="uncovered_terms"):
        load_kb(bad)


def test_pinyin_shorthand_reads_as_the_word(matcher):
    assert normalize("查企业zx") == normalize("查企业征信")
    assert "征信" not in normalize("xyzx123")  # only as a word of its own
    assert matcher.ask("公司的zx在哪查").intent == "query.enterprise"


def test_a_lead_over_a_runner_up_below_zero_is_not_certainty():
    from jiefen.assistant.matcher import _margin

    # The rerank terms can put the runner-up below 0 and the best barely above it: the lead is capped.
    assert _margin(0.01, -0.5) == 1.0
    assert _margin(2.0, 1.0) == 0.5
    assert _margin(0.0, -1.0) == 0.0
