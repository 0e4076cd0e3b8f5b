"""The knowledge base in the database: versions, review before publishing, export, the cached matcher."""

import json

import pytest
import yaml
from django.core.management import call_command

from jiefen.assistant import runtime
from jiefen.assistant.kb import default_kb_path, dump_kb, load_kb
from jiefen.assistant.models import KbEntry, KbEvent, KbVersion
from jiefen.assistant.services import (
    kb_entry_retire,
    kb_export,
    kb_load,
    kb_paraphrase_add,
    kb_version_discard,
    kb_version_publish,
    kb_version_return,
    kb_version_save,
    kb_version_submit,
)
from jiefen.common.errors import ApplicationError, Conflict, PermissionDenied

pytestmark = pytest.mark.django_db

NEW = {
    "category": "query",
    "question": "征信报告有英文版吗？",
    "paraphrases": "信用报告能出英文的吗\n出国留学要英文征信报告",
    "answer": "信用报告只有中文版，需要英文的请自行翻译并办理公证。",
    "source": "测试依据",
}


def draft(world, key="query.english", actor=None, **changes):
    return kb_version_save(actor=actor or world.pbc_officer, key=key, create=True, **{**NEW, **changes})


def publish(world, v, reviewer=None):
    kb_version_submit(actor=world.pbc_officer, version_id=v.pk)
    return kb_version_publish(actor=reviewer or world.center_admin, version_id=v.pk)


def ask(question):
    return runtime.get_matcher().ask(question)


# ----------------------------------------------------------------------------- review before publishing
def test_a_draft_is_not_answered_until_it_is_published(world, published_kb):
    v = draft(world)
    runtime.invalidate()
    assert ask("出国留学要英文征信报告").intent != "query.english"
    kb_version_submit(actor=world.pbc_officer, version_id=v.pk)
    runtime.invalidate()
    assert ask("出国留学要英文征信报告").intent != "query.english", "under review is still not answered"
    kb_version_publish(actor=world.center_admin, version_id=v.pk)
    runtime.invalidate()  # what the publication's on-commit hook does in a real request
    assert ask("出国留学要英文征信报告").intent == "query.english"


def test_publishing_records_the_reviewer_and_time_and_keeps_the_old_version(world, published_kb):
    old = KbEntry.objects.get(key="query.fee").published
    v = kb_version_save(
        actor=world.center_staff,
        key="query.fee",
        category="query",
        question=old.question,
        paraphrases=old.paraphrases,
        answer="新答案：每年两次免费。",
        source=old.source,
        note="更新收费标准",
    )
    assert v.number == old.number + 1
    kb_version_submit(actor=world.center_staff, version_id=v.pk)
    kb_version_publish(actor=world.pbc_officer, version_id=v.pk, note="已核对条例第17条")
    v.refresh_from_db()
    old.refresh_from_db()
    assert v.status == KbVersion.Status.PUBLISHED
    assert v.reviewed_by == world.pbc_officer and v.published_at is not None
    assert v.reviewed_on == v.published_at.astimezone(runtime_tz()).date().isoformat()
    assert old.status == KbVersion.Status.SUPERSEDED, "the previous version is kept"
    assert KbEntry.objects.get(key="query.fee").published == v
    actions = list(KbEvent.objects.filter(version__entry__key="query.fee").values_list("action", flat=True))
    assert actions[-4:] == ["create", "submit", "supersede", "publish"]


def runtime_tz():
    from jiefen.common.clock import SHANGHAI

    return SHANGHAI


def test_nobody_publishes_what_they_wrote(world, published_kb):
    v = draft(world, actor=world.pbc_officer)
    kb_version_submit(actor=world.pbc_officer, version_id=v.pk)
    with pytest.raises(ApplicationError, match="不能审核自己编写的内容"):
        kb_version_publish(actor=world.pbc_officer, version_id=v.pk)


def test_centre_staff_edit_but_do_not_publish(world, published_kb):
    v = draft(world, actor=world.center_staff)
    kb_version_submit(actor=world.center_staff, version_id=v.pk)
    with pytest.raises(PermissionDenied):
        kb_version_publish(actor=world.center_staff, version_id=v.pk)
    kb_version_publish(actor=world.pbc_officer, version_id=v.pk)


@pytest.mark.parametrize("who", ["a_staff", "a_manager", "mediator", "judge", "viewer"])
def test_other_people_cannot_edit_the_knowledge_base(world, published_kb, who):
    with pytest.raises(PermissionDenied):
        draft(world, actor=getattr(world, who))


def test_a_draft_cannot_be_published_without_being_submitted(world, published_kb):
    v = draft(world, actor=world.center_staff)
    with pytest.raises(Conflict, match="先提交审核"):
        kb_version_publish(actor=world.pbc_officer, version_id=v.pk)


def test_a_reviewer_returns_a_version_with_remarks(world, published_kb):
    v = draft(world, actor=world.center_staff)
    kb_version_submit(actor=world.center_staff, version_id=v.pk)
    with pytest.raises(ApplicationError, match="退回意见"):
        kb_version_return(actor=world.pbc_officer, version_id=v.pk, note=" ")
    kb_version_return(actor=world.pbc_officer, version_id=v.pk, note="请补充依据")
    v.refresh_from_db()
    assert v.status == KbVersion.Status.DRAFT and v.review_note == "请补充依据"


def test_changing_a_version_under_review_sends_it_back_to_draft(world, published_kb):
    v = draft(world, actor=world.center_staff)
    kb_version_submit(actor=world.center_staff, version_id=v.pk)
    again = kb_version_save(
        actor=world.center_staff, key="query.english", **{**NEW, "answer": "改过的答案。"}
    )
    assert again.pk == v.pk, "one open version per entry"
    assert again.status == KbVersion.Status.DRAFT


def test_two_reviewers_cannot_both_publish(world, published_kb):
    v = draft(world, actor=world.center_staff)
    kb_version_submit(actor=world.center_staff, version_id=v.pk)
    kb_version_publish(actor=world.pbc_officer, version_id=v.pk)
    with pytest.raises(Conflict):
        kb_version_publish(actor=world.center_admin, version_id=v.pk)


def test_a_new_entry_needs_a_valid_unique_key_and_content(world, published_kb):
    with pytest.raises(ApplicationError, match="已存在"):
        draft(world, key="query.fee")
    with pytest.raises(ApplicationError, match="条目编号"):
        draft(world, key="查 征信")
    with pytest.raises(ApplicationError, match="答案"):
        draft(world, key="query.x", answer="")
    with pytest.raises(ApplicationError, match="审核日期"):
        draft(world, key="query.y", reviewed_on="明天")


def test_discarding_the_only_draft_of_a_new_entry_leaves_nothing(world, published_kb):
    v = draft(world)
    kb_version_discard(actor=world.pbc_officer, version_id=v.pk)
    assert not KbEntry.objects.filter(key="query.english").exists()


def test_a_paraphrase_is_added_as_a_draft_of_the_entry(world, published_kb):
    v = kb_paraphrase_add(actor=world.pbc_officer, key="query.fee", text="征信打印要不要交钱啊")
    assert v.status == KbVersion.Status.DRAFT
    assert v.paraphrases[-1] == "征信打印要不要交钱啊"
    assert KbEntry.objects.get(key="query.fee").published.paraphrases[-1] != "征信打印要不要交钱啊"
    with pytest.raises(ApplicationError, match="已在条目中"):
        kb_paraphrase_add(actor=world.pbc_officer, key="query.fee", text="征信打印要不要交钱啊")


def test_a_retired_entry_is_no_longer_answered(world, published_kb):
    assert ask("自己查征信会影响信用吗").intent == "query.self_query_impact"
    kb_entry_retire(actor=world.pbc_officer, key="query.self_query_impact", reason="合并到其他条目")
    runtime.invalidate()
    assert ask("自己查征信会影响信用吗").intent != "query.self_query_impact"


# ----------------------------------------------------------------------------- load and export
def test_loading_the_shipped_file_twice_changes_nothing(world, published_kb):
    assert published_kb["created"] == len(load_kb(default_kb_path()))
    again = kb_load(actor=None, kb=load_kb(default_kb_path()))
    assert again == {"created": 0, "updated": 0, "unchanged": published_kb["created"]}
    assert KbVersion.objects.count() == published_kb["created"]


def test_export_round_trips_the_shipped_file(published_kb, tmp_path):
    out = tmp_path / "kb.json"
    dump_kb(kb_export(), out)
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(
        default_kb_path().read_text(encoding="utf-8")
    )


def test_export_round_trips_a_yaml_file_with_extra_fields_and_global_synonyms(db, tmp_path):
    src = tmp_path / "mine.yaml"
    src.write_text(
        yaml.safe_dump(
            {
                "synonyms": {"征信": ["小本本"]},
                "domain_terms": ["助贷"],
                "uncovered_terms": ["积分"],
                "entries": [
                    {
                        "id": "b.one",
                        "category": "local",
                        "question": "小本本怎么查？",
                        "paraphrases": ["在哪看小本本"],
                        "answer": "去网点查。",
                        "reviewed_on": "2026-01-05",
                        "keywords": ["网点"],
                        "synonyms": {"网点": ["营业厅"]},
                        "requires": ["小本本"],
                        "editor_note": "保留我",
                    },
                    {
                        "id": "a.two",
                        "category": "local",
                        "question": "助贷是什么？",
                        "paraphrases": [],
                        "answer": "一种中介。",
                    },
                ],
            },
            allow_unicode=True,
            sort_keys=False,
        ),
        encoding="utf-8",
    )
    original = load_kb(src)
    kb_load(actor=None, kb=original)
    out = tmp_path / "out.yaml"
    dump_kb(kb_export(), out)
    back = load_kb(out)
    assert [e.to_dict() for e in back] == [e.to_dict() for e in original], "file order and every field kept"
    assert back.synonyms == {"征信": ["小本本"]} and back.domain_terms == ["助贷"]
    assert back.uncovered_terms == ["积分"]
    runtime.invalidate()
    assert runtime.get_matcher().ask("营业厅能查征信吗").intent == "b.one", "the loaded synonyms are used"


def test_loading_for_review_publishes_nothing(world, db):
    counts = kb_load(actor=world.pbc_officer, kb=load_kb(default_kb_path()), publish=False)
    assert counts["created"] > 60
    assert not KbVersion.objects.filter(status=KbVersion.Status.PUBLISHED).exists()
    assert KbVersion.objects.filter(status=KbVersion.Status.REVIEW).count() == counts["created"]


def test_the_load_and_export_commands(db, tmp_path, capsys):
    call_command("assistant-kb", "load", str(default_kb_path()))
    assert "新增" in capsys.readouterr().out
    out = tmp_path / "exported.json"
    call_command("assistant-kb", "export", str(out))
    assert json.loads(out.read_text(encoding="utf-8")) == json.loads(
        default_kb_path().read_text(encoding="utf-8")
    )
    call_command("assistant-kb", "status")
    status = json.loads(capsys.readouterr().out.splitlines()[-1])
    assert status["published"] == status["entries"] > 60 and status["revision"] == 1


# ----------------------------------------------------------------------------- the cached matcher
def test_the_matcher_is_built_once_and_rebuilt_after_a_publication(world, published_kb, monkeypatch):
    first = runtime.get_matcher()
    assert runtime.get_matcher() is first, "not rebuilt per question"
    monkeypatch.setattr(runtime, "CHECK_EVERY", 0.0)
    assert runtime.get_matcher() is first, "same revision: the cached matcher stays"
    publish(world, draft(world))
    rebuilt = runtime.get_matcher()
    assert rebuilt is not first
    assert any(e.id == "query.english" for e in rebuilt.entries)


def test_with_nothing_published_the_shipped_file_answers(db):
    assert runtime.get_matcher() is runtime.file_matcher()
