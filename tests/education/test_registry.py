"""The scam-entity registry: lead → identified → notified → rectifying → rectified → closed (销号)."""

import datetime as dt

import pytest
from stdnum.cn import uscc as stdnum_uscc

from jiefen.common.errors import ApplicationError, Conflict, NotFound, PermissionDenied
from jiefen.education.models import ScamEntity, ScamStatus
from jiefen.education.selectors import scam_entity_get_for_user, scam_stats
from jiefen.education.services import (
    scam_follow_up,
    scam_import,
    scam_lead_create,
    scam_public_report,
    scam_transition,
)

from .conftest import at

pytestmark = pytest.mark.django_db


def code(body17: str) -> str:
    return body17 + stdnum_uscc.calc_check_digit(body17)


USCC = code("91350503MA2Y00001")


def lead(world, **kw):
    return scam_lead_create(
        actor=kw.pop("actor", world.pbc_officer),
        name=kw.pop("name", "泉州某某征信修复服务有限公司"),
        uscc=kw.pop("uscc", USCC),
        source=kw.pop("source", "staff"),
        region_code=kw.pop("region_code", "350503"),
        at=kw.pop("at", at("2026-03-02")),
        **kw,
    )


def step(world, entity, action, day, **kw):
    return scam_transition(
        actor=kw.pop("actor", world.pbc_officer),
        entity_id=entity.pk,
        action=action,
        note=kw.pop("note", "已办理"),
        on_date=dt.date.fromisoformat(day),
        at=at(day, 16),
        **kw,
    )


class TestLifecycle:
    def test_a_lead_walks_to_closed_with_dates_channels_and_officers(self, world):
        entity = lead(world)
        step(world, entity, "identify", "2026-03-03", note="经工商信息核实，经营范围含“征信修复”")
        step(world, entity, "notify", "2026-03-05", channel="phone", note="电话告知法规，提示风险")
        step(
            world,
            entity,
            "start_rectify",
            "2026-03-06",
            rectify_due=dt.date(2026, 4, 6),
            note="限期变更经营范围",
        )
        step(world, entity, "rectified", "2026-03-20", note="已停止相关业务", actor=world.center_staff)
        entity = step(world, entity, "close", "2026-03-25", note="回访核实，予以销号")
        assert entity.status == ScamStatus.CLOSED and entity.closed_on == dt.date(2026, 3, 25)
        events = list(entity.events.values_list("action", "on_date", "channel", "actor_label"))
        assert [e[0] for e in events] == [
            "create",
            "identify",
            "notify",
            "start_rectify",
            "rectified",
            "close",
        ]
        assert events[2][2] == "phone" and events[4][3] == "center_staff"
        assert entity.contacted

    def test_it_cannot_skip_a_step(self, world):
        entity = lead(world)
        with pytest.raises(ApplicationError) as err:
            step(world, entity, "close", "2026-03-03")
        assert err.value.code == "invalid_transition"
        step(world, entity, "identify", "2026-03-03")
        with pytest.raises(ApplicationError):
            step(world, entity, "start_rectify", "2026-03-04", rectify_due=dt.date(2026, 4, 1))

    def test_notifying_needs_a_channel_and_rectifying_a_later_due_date(self, world):
        entity = lead(world)
        step(world, entity, "identify", "2026-03-03")
        with pytest.raises(ApplicationError) as err:
            step(world, entity, "notify", "2026-03-04")
        assert err.value.code == "channel_required"
        step(world, entity, "notify", "2026-03-04", channel="wechat")
        with pytest.raises(ApplicationError) as err:
            step(world, entity, "start_rectify", "2026-03-05", rectify_due=dt.date(2026, 3, 5))
        assert err.value.code == "rectify_due_required"

    def test_renaming_needs_the_new_name_and_can_then_be_closed(self, world):
        entity = lead(world)
        step(world, entity, "identify", "2026-03-03")
        step(world, entity, "notify", "2026-03-04", channel="visit")
        with pytest.raises(ApplicationError):
            step(world, entity, "renamed", "2026-03-10")
        step(
            world,
            entity,
            "renamed",
            "2026-03-10",
            new_name="泉州某某信息咨询有限公司（经营范围已删除征信相关内容）",
        )
        assert step(world, entity, "close", "2026-03-11").status == ScamStatus.CLOSED

    def test_a_step_cannot_be_dated_in_the_future_or_before_the_last_one(self, world):
        entity = lead(world)
        step(world, entity, "identify", "2026-03-05")
        with pytest.raises(ApplicationError):
            step(world, entity, "notify", "2026-03-04", channel="phone")
        with pytest.raises(ApplicationError):
            scam_transition(
                actor=world.pbc_officer,
                entity_id=entity.pk,
                action="notify",
                note="x",
                channel="phone",
                on_date=dt.date(2026, 3, 9),
                at=at("2026-03-08"),
            )

    def test_every_step_needs_a_note(self, world):
        entity = lead(world)
        with pytest.raises(ApplicationError):
            step(world, entity, "identify", "2026-03-03", note="  ")

    def test_a_lead_without_code_or_contact_cannot_be_identified(self, world):
        entity = lead(world, uscc="", name="某征信修复工作室")
        with pytest.raises(ApplicationError) as err:
            step(world, entity, "identify", "2026-03-03")
        assert err.value.code == "identity_required"

    def test_two_officers_at_once_one_wins(self, world):
        entity = lead(world)
        scam_transition(
            actor=world.pbc_officer,
            entity_id=entity.pk,
            action="identify",
            note="a",
            expected_version=0,
            at=at("2026-03-03"),
        )
        with pytest.raises(Conflict):
            scam_transition(
                actor=world.center_staff,
                entity_id=entity.pk,
                action="dismiss",
                note="b",
                expected_version=0,
                at=at("2026-03-03"),
            )

    def test_a_closed_entity_takes_no_follow_up(self, world):
        entity = lead(world)
        step(world, entity, "dismiss", "2026-03-03", note="系正规征信机构备案企业")
        with pytest.raises(ApplicationError):
            scam_follow_up(
                actor=world.pbc_officer,
                entity_id=entity.pk,
                note="回访",
                channel="phone",
                at=at("2026-03-04"),
            )

    def test_a_phone_follow_up_counts_as_contacted(self, world):
        entity = lead(world)
        scam_follow_up(
            actor=world.pbc_officer,
            entity_id=entity.pk,
            note="电话询问经营情况",
            channel="phone",
            at=at("2026-03-03"),
        )
        entity.refresh_from_db()
        assert entity.contacted and entity.status == ScamStatus.LEAD


class TestAccess:
    def test_a_bad_uscc_is_refused(self, world):
        with pytest.raises(ApplicationError, match="校验位"):
            lead(world, uscc=USCC[:-1] + ("0" if USCC[-1] != "0" else "1"))

    def test_the_same_uscc_is_listed_once(self, world):
        lead(world)
        with pytest.raises(ApplicationError) as err:
            lead(world, name="另一个名称")
        assert err.value.code == "duplicate_uscc"

    def test_a_bank_reports_a_lead_but_does_not_work_the_registry(self, world):
        entity = lead(world, actor=world.a_staff, uscc="")
        assert entity.reporting_institution == world.bank_a
        assert scam_entity_get_for_user(world.a_staff, entity.pk) == entity
        with pytest.raises(NotFound):
            scam_entity_get_for_user(world.b_staff, entity.pk)
        with pytest.raises(PermissionDenied):
            step(world, entity, "identify", "2026-03-03", actor=world.a_staff)
        other = lead(world, uscc="", name="另一家征信公司")
        with pytest.raises(NotFound):
            scam_entity_get_for_user(world.a_staff, other.pk)

    def test_the_regulator_reads_but_cannot_act(self, world):
        entity = lead(world)
        assert scam_entity_get_for_user(world.viewer, entity.pk) == entity
        with pytest.raises(PermissionDenied):
            step(world, entity, "identify", "2026-03-03", actor=world.viewer)

    def test_a_mediator_has_no_registry(self, world):
        entity = lead(world)
        with pytest.raises(NotFound):
            scam_entity_get_for_user(world.mediator, entity.pk)
        with pytest.raises(PermissionDenied):
            lead(world, actor=world.mediator, uscc="")

    def test_a_public_report_needs_a_description_and_keeps_the_phone_sealed(self, world):
        with pytest.raises(ApplicationError):
            scam_public_report(phone="13800138000", name="某工作室", identifiers="", description="骗子")
        entity = scam_public_report(
            phone="13800138000",
            name="",
            identifiers="微信号 zx-xiubai；电话 13912345678",
            description="对方说交3000元就能把信用卡逾期记录删掉，还要我提供身份证和验证码。",
        )
        assert entity.source == "public_report" and entity.identifier_list == [
            "微信号 zx-xiubai",
            "电话 13912345678",
        ]
        assert entity.masked_reporter == "138****8000"


class TestImport:
    HEADER = "企业名称,统一社会信用代码,所在区县,网址或电话,备注\n"

    def test_rows_are_checked_and_errors_come_back_with_row_numbers(self, world, regions):
        a, b = code("91350503MA2Y00011"), code("91350582MA2Y00012")
        existing = lead(world, uscc=code("91350502MA2Y00013"))
        csv = (
            self.HEADER
            + f"泉州甲征信服务有限公司,{a},丰泽区,0595-1234567,经营范围含征信咨询\n"
            + f"泉州乙征信修复有限公司,{b},350582,www.example.cn;13800000000,\n"
            + f"泉州丙征信有限公司,{a},丰泽区,,\n"
            + f"泉州丁征信有限公司,{existing.uscc},鲤城区,,\n"
            + "泉州戊征信有限公司,123,丰泽区,,\n"
            + f"泉州己征信有限公司,{code('91350503MA2Y00014')},火星区,,\n"
            + ",,,,\n"
            + ",91350503MA2Y0001X,丰泽区,,\n"
        )
        result = scam_import(
            actor=world.pbc_officer,
            content=csv.encode("utf-8"),
            filename="征信企业名单.csv",
            at=at("2026-03-02"),
        )
        assert (result.rows, result.created) == (7, 2)
        errors = dict(result.errors)
        assert "与第2行重复" in errors[4]
        assert f"已在台账中（{existing.number}）" in errors[5]
        assert "统一社会信用代码应为18位" in errors[6]
        assert "无法识别的区县“火星区”" in errors[7]
        assert "名称为空" in errors[9]
        created = ScamEntity.objects.get(uscc=b)
        assert created.region_code == "350582" and created.identifier_list == [
            "www.example.cn",
            "13800000000",
        ]
        assert created.kind == "name_or_scope" and created.source == "import"
        assert created.events.get().action == "create"

    def test_a_dry_run_imports_nothing(self, world, regions):
        csv = self.HEADER + f"泉州甲征信服务有限公司,{code('91350503MA2Y00021')},丰泽区,,\n"
        result = scam_import(actor=world.pbc_officer, content=csv.encode(), filename="a.csv", dry_run=True)
        assert (result.rows, result.valid, result.created) == (1, 1, 0)
        assert not ScamEntity.objects.exists()

    def test_gbk_csv_from_excel_is_read(self, world, regions):
        csv = self.HEADER + f"泉州甲征信服务有限公司,{code('91350503MA2Y00031')},丰泽区,,\n"
        result = scam_import(actor=world.pbc_officer, content=csv.encode("gb18030"), filename="a.csv")
        assert result.created == 1 and ScamEntity.objects.get().name == "泉州甲征信服务有限公司"

    def test_an_xlsx_is_read(self, world, regions):
        from jiefen.documents.render import render_xlsx

        data = render_xlsx(
            {
                "名单": [
                    ["名称", "统一社会信用代码", "区县"],
                    ["泉州甲征信服务有限公司", code("91350503MA2Y00041"), "丰泽区"],
                    ["", "", ""],
                ]
            }
        )
        result = scam_import(actor=world.pbc_officer, content=data, filename="名单.xlsx")
        assert result.created == 1 and not result.errors

    def test_a_file_without_a_name_column_is_refused(self, world):
        with pytest.raises(ApplicationError, match="表头"):
            scam_import(actor=world.pbc_officer, content=b"a,b\n1,2\n", filename="a.csv")

    def test_only_the_registry_workers_import(self, world):
        with pytest.raises(PermissionDenied):
            scam_import(actor=world.a_staff, content=b"x", filename="a.csv")


class TestStatistics:
    def test_contacted_rectified_and_cleared_districts(self, world, regions):
        done = lead(world, uscc=code("91350503MA2Y00051"), region_code="350503")
        step(world, done, "identify", "2026-03-03")
        step(world, done, "notify", "2026-03-04", channel="phone")
        step(world, done, "cancelled", "2026-03-05")
        step(world, done, "close", "2026-03-06")
        talking = lead(world, uscc=code("91350582MA2Y00052"), region_code="350582")
        step(world, talking, "identify", "2026-03-03")
        step(world, talking, "notify", "2026-03-04", channel="letter")
        lead(world, uscc=code("91350582MA2Y00053"), region_code="350582")
        junk = lead(world, uscc=code("91350582MA2Y00054"), region_code="350582")
        step(world, junk, "dismiss", "2026-03-03")
        stats = scam_stats(world.pbc_officer)
        assert stats["total"]["total"] == 3
        assert stats["total"]["contacted_pct"] == 66.7 and stats["total"]["rectified_pct"] == 33.3
        districts = {d["region"]: d for d in stats["districts"]}
        assert districts["丰泽区"]["cleared"] is True and districts["晋江市"]["cleared"] is False
        assert districts["晋江市"]["total"] == 2
